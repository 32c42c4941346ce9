package report

// WhatIf is the "what_if" record of `segscope diagnose`: for one client's exchanges with
// one server, the total time as captured and estimates of it under the alternatives of
// connection management (README "What-if estimates" states the model). Estimates are not
// measurements.
type WhatIf struct {
	Client     string           `json:"client"` // client address (no port)
	Server     string           `json:"server"` // "ip:port"
	Conns      []uint64         `json:"conns"`  // the connections the exchanges used
	Exchanges  int              `json:"exchanges"`
	RTT        Duration         `json:"rtt"`      // the round trip the model uses (median handshake)
	Measured   Duration         `json:"measured"` // first connection start to last response byte
	MeasuredAs string           `json:"measured_as"`
	Estimates  []WhatIfEstimate `json:"estimates"`
}

// WhatIfEstimate is one alternative's estimated total.
type WhatIfEstimate struct {
	Scenario string   `json:"scenario"` // "per_request", "persistent", "parallel", "pipelined", "nodelay"
	Conns    int      `json:"conns"`
	Total    Duration `json:"total"`
	Text     string   `json:"text"`
}

// WhatIfSink is implemented by sinks that write what_if records; others do not get them.
type WhatIfSink interface {
	WhatIf(*WhatIf) error
}
