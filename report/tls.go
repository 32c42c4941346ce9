package report

// TLS is a connection's TLS layer (the "tls" object of a conn record): what the
// handshake said and what it cost. Set only for connections whose streams are TLS.
type TLS struct {
	Version        string   `json:"version"`         // negotiated: "TLS 1.3"; "" when no ServerHello was seen
	OfferedVersion string   `json:"offered_version"` // the highest the client offered
	CipherSuite    string   `json:"cipher_suite"`    // IANA name
	SNI            string   `json:"sni"`
	ALPNOffered    []string `json:"alpn_offered"`
	ALPN           string   `json:"alpn"`    // chosen; with TLS 1.3 only known when decrypted
	Inner          string   `json:"inner"`   // what the plaintext carries: "http1", "http2" (not parsed), "" when not known
	Resumed        string   `json:"resumed"` // "", "session_id", "ticket" (TLS 1.2), "psk" (TLS 1.3)
	EarlyData      bool     `json:"early_data"`
	HelloRetry     bool     `json:"hello_retry"`
	ExtendedMaster bool     `json:"extended_master_secret"`
	EncryptThenMAC bool     `json:"encrypt_then_mac"`
	SSLv2Hello     bool     `json:"sslv2_hello"`
	// RoundTrips is what the handshake cost before the client's first application data
	// (TLS 1.3: 1, TLS 1.2: 2, resumed TLS 1.2: 1); HandshakeTime the time from the
	// ClientHello to that data. -1 when not seen.
	RoundTrips    int      `json:"round_trips"`
	HandshakeTime Duration `json:"handshake_time"`
	// ServerHelloDelay is the time from the ClientHello to the ServerHello: a round trip
	// and the server's work (key exchange, session lookup). -1 when not seen.
	ServerHelloDelay Duration `json:"server_hello_delay"`
	HelloFrame       uint64   `json:"hello_frame"`     // the ClientHello's first frame; 0 when not seen
	FirstAppFrame    uint64   `json:"first_app_frame"` // the client's first application data's first frame
	CertSubject      string   `json:"cert_subject,omitempty"`
	CertIssuer       string   `json:"cert_issuer,omitempty"`
	CertNotBefore    Time     `json:"cert_not_before,omitempty"`
	CertNotAfter     Time     `json:"cert_not_after,omitempty"`
	Tickets          int      `json:"tickets"`
	KeyUpdates       int      `json:"key_updates"`
	// KeyLog: "" without --tls-keylog, "found" when it had the session, "missing" when not.
	KeyLog           string   `json:"keylog"`
	DecryptedRecords uint64   `json:"decrypted_records"`
	DecryptFailed    uint64   `json:"decrypt_failed"`
	Alerts           []string `json:"alerts"`    // "s2c fatal handshake_failure"
	Anomalies        []string `json:"anomalies"` // tls_decrypt_failed, ...
}

// AnatomyTLS is the TLS layer of an anatomy record: the HTTP message's place in the
// plaintext stream and the TLS records that carried it. The anatomy's msg_off and
// msg_len are then the TCP stream span of those records.
type AnatomyTLS struct {
	PlainOff int64           `json:"plain_off"` // the message's plaintext stream offset
	PlainLen int64           `json:"plain_len"`
	Overhead int64           `json:"overhead"` // record headers, explicit nonces, tags, padding of those records
	Records  []AnatomyRecord `json:"records"`
}

// AnatomyRecord is one TLS record that carried bytes of a message.
type AnatomyRecord struct {
	Off       int64  `json:"off"` // TCP stream offset of the record header
	HeaderLen int    `json:"header_len"`
	Len       int    `json:"len"`       // fragment length
	PlainLen  int    `json:"plain_len"` // application data in the record
	MsgBytes  int    `json:"msg_bytes"` // of which this message's
	Frame     uint64 `json:"frame"`     // the frame that completed the record
	Decrypted bool   `json:"decrypted"`
}
