package analysis

import (
	"strconv"
	"strings"
)

// Finding kinds about the TLS layer.
const (
	KindTLSHandshake Kind = "tls_handshake" // what the TLS handshake cost before the first request
	KindTLSResumed   Kind = "tls_resumed"   // the session was resumed
	KindTLSInner     Kind = "tls_inner"     // what the TLS layer carries: HTTP/2 is not parsed; undecrypted
	KindTLSProblem   Kind = "tls_problem"   // alerts, failed decryption
)

// tlsFindings says what the TLS layer of ci cost and carried (ci.TLS set).
func (d *diag) tlsFindings() {
	t := d.ci.TLS
	if t == nil {
		return
	}
	name := t.Version
	if name == "" {
		name = "TLS"
	}
	if t.RoundTrips >= 0 {
		rt := strconv.Itoa(t.RoundTrips) + " round trip"
		if t.RoundTrips != 1 {
			rt += "s"
		}
		s := name + " handshake cost " + rt + " (" + fmtDur(int64(t.HandshakeTime)) + " from the ClientHello) before the first request"
		switch {
		case t.Version == "TLS 1.3" && t.RoundTrips == 1 && t.Resumed == "":
			s += "; TLS 1.2 would have cost 2"
		case t.Version == "TLS 1.3" && t.RoundTrips == 2 && t.HelloRetry:
			s += ": the server asked for another key share (HelloRetryRequest), which cost a round trip"
		case t.Version == "TLS 1.2" && t.RoundTrips == 2:
			s += "; TLS 1.3 would have cost 1, a resumed session 1"
		case t.Version == "TLS 1.2" && t.RoundTrips == 1 && t.Resumed == "":
			s += " (the client sent data before the server's Finished: False Start)"
		case t.RoundTrips == 0:
			s += " (0-RTT early data)"
		}
		if t.ServerHelloDelay > 0 && t.ServerHelloDelay*2 > t.HandshakeTime {
			s += "; most of it waiting for the server: its ServerHello came " + fmtDur(int64(t.ServerHelloDelay)) + " after the ClientHello"
		}
		d.add(t.HelloFrame, KindTLSHandshake, SevInfo, s)
	} else if t.HelloFrame == 0 && t.Version == "" {
		d.add(0, KindTLSHandshake, SevInfo, "the TLS handshake was not captured (the connection was already encrypted when the capture started)")
	}
	switch t.Resumed {
	case "psk":
		d.add(t.HelloFrame, KindTLSResumed, SevInfo, "session resumed with a pre-shared key (a ticket from an earlier connection): no certificate was sent")
	case "ticket", "session_id":
		d.add(t.HelloFrame, KindTLSResumed, SevInfo, "session resumed (by "+strings.ReplaceAll(t.Resumed, "_", " ")+"): an abbreviated handshake, 1 round trip, no certificate")
	}
	if t.EarlyData {
		d.add(t.HelloFrame, KindTLSResumed, SevInfo, "the client attempted 0-RTT early data")
	}
	switch {
	case t.Inner == "http2":
		d.add(t.FirstAppFrame, KindTLSInner, SevInfo, "ALPN chose h2: the connection carries HTTP/2, which segscope does not parse")
	case t.KeyLog == "missing":
		d.add(t.HelloFrame, KindTLSInner, SevInfo, "the key log has no keys for this session: its HTTP is not visible")
	}
	if t.DecryptFailed > 0 {
		d.add(0, KindTLSProblem, SevWarn, strconv.FormatUint(t.DecryptFailed, 10)+" TLS record(s) failed authentication with the key log's keys: their bytes are reported as gaps")
	}
	for _, a := range t.Alerts {
		if strings.Contains(a, "fatal") {
			d.add(0, KindTLSProblem, SevWarn, "TLS alert: "+a)
		}
	}
}
