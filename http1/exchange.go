package http1

// Exchanges: taken, queued in depth order, emitted with their verdict, and released.
// Which exchange a response answers is in pairing.go.

func (p *Parser) newExchange() *Exchange {
	if len(p.queue) >= p.lim.MaxPipeline {
		old := p.queue[0]
		if old != p.half[0].ex && old != p.half[1].ex && old != p.half[C2S].holdEx {
			old.flag(AnomPipelineOverflow)
			p.popFront()
		}
	}
	ex := p.takeExchange()
	p.depth++
	ex.Depth = p.depth
	p.queue = append(p.queue, ex)
	return ex
}

// takeExchange returns a free exchange.
func (p *Parser) takeExchange() *Exchange {
	if n := len(p.free); n > 0 {
		ex := p.free[n-1]
		p.free = p.free[:n-1]
		return ex
	}
	return new(Exchange)
}

func (p *Parser) release(ex *Exchange) {
	p.returnBodies(ex)
	ex.reqMsg.reset()
	ex.respMsg.reset()
	ex.Depth, ex.Req, ex.Resp, ex.Verdict, ex.Upgrade = 0, nil, nil, VerdictComplete, ""
	ex.Interim = ex.Interim[:0]
	ex.Anomalies = ex.Anomalies[:0]
	ex.anom = ex.anom[:0]
	ex.reqDone, ex.respDone, ex.respGap = false, false, false
	ex.reqLost, ex.lossBefore, ex.lossOff = false, false, 0
	p.free = append(p.free, ex)
}

// flush emits exchanges from the front of the queue: ready ones, or all.
func (p *Parser) flush(all bool) {
	for len(p.queue) > 0 {
		ex := p.queue[0]
		if !all && !(ex.respDone && (ex.Req == nil || ex.reqDone)) {
			return
		}
		p.popFront()
	}
}

func (p *Parser) popFront() {
	ex := p.queue[0]
	copy(p.queue, p.queue[1:])
	p.queue[len(p.queue)-1] = nil
	p.queue = p.queue[:len(p.queue)-1]
	if p.respIdx > 0 {
		p.respIdx--
	}
	p.emit(ex)
	p.release(ex)
}

func (p *Parser) emit(ex *Exchange) {
	gap, trunc := false, false
	ex.Anomalies = ex.Anomalies[:0]
	add := func(a Anomaly) {
		for _, x := range ex.Anomalies {
			if x == a {
				return
			}
		}
		ex.Anomalies = append(ex.Anomalies, a)
	}
	for _, m := range [2]*Message{ex.Req, ex.Resp} {
		if m == nil {
			continue
		}
		if m.GapBytes > 0 {
			gap = true
		}
		if !m.Complete {
			trunc = true
		}
		for _, a := range m.Anomalies {
			add(a)
		}
	}
	for _, a := range ex.anom {
		add(a)
	}
	switch {
	case gap:
		ex.Verdict = VerdictGap
	case trunc:
		ex.Verdict = VerdictTruncated
	case ex.Resp == nil && ex.respGap:
		ex.Verdict = VerdictGap
	case ex.Resp == nil:
		ex.Verdict = VerdictNoResponse
	case ex.Req == nil && ex.reqLost:
		ex.Verdict = VerdictGap
	case ex.Req == nil:
		ex.Verdict = VerdictNoRequest
	case !evidence(ex):
		ex.Verdict = VerdictInferred
	default:
		ex.Verdict = VerdictComplete
	}
	if p.hnd != nil && (ex.Req != nil || ex.Resp != nil) {
		// (An exchange with neither is a request lost in a gap whose response was lost
		// too, or never came: nothing of it was seen. Its depth stays taken.)
		p.hnd.OnExchange(ex)
	}
}
