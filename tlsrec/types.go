package tlsrec

import (
	"crypto/tls"
	"strconv"
)

// Dir is the direction of a byte stream within one TCP connection. The values match
// flow.C2S and flow.S2C and http1.C2S and http1.S2C; tlsrec imports neither.
type Dir uint8

const (
	C2S Dir = 0 // client to server
	S2C Dir = 1 // server to client
)

func (d Dir) String() string {
	if d == C2S {
		return "c2s"
	}
	return "s2c"
}

// ContentType is a TLS record's content type (RFC 8446 §5.1).
type ContentType uint8

const (
	TypeChangeCipherSpec ContentType = 20
	TypeAlert            ContentType = 21
	TypeHandshake        ContentType = 22
	TypeApplicationData  ContentType = 23
	TypeHeartbeat        ContentType = 24
	// TypeSSLv2Hello is not a TLS content type: it marks an SSLv2-compatible ClientHello
	// (RFC 5246 Appendix E.2), whose two-byte header has the high bit set.
	TypeSSLv2Hello ContentType = 128
)

func (t ContentType) String() string {
	switch t {
	case TypeChangeCipherSpec:
		return "change_cipher_spec"
	case TypeAlert:
		return "alert"
	case TypeHandshake:
		return "handshake"
	case TypeApplicationData:
		return "application_data"
	case TypeHeartbeat:
		return "heartbeat"
	case TypeSSLv2Hello:
		return "sslv2_client_hello"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// HandshakeType is a handshake message's type (RFC 8446 §4).
type HandshakeType uint8

const (
	HSHelloRequest        HandshakeType = 0
	HSClientHello         HandshakeType = 1
	HSServerHello         HandshakeType = 2
	HSNewSessionTicket    HandshakeType = 4
	HSEndOfEarlyData      HandshakeType = 5
	HSHelloRetryRequest   HandshakeType = 6 // never on the wire: a ServerHello with the HRR random
	HSEncryptedExtensions HandshakeType = 8
	HSCertificate         HandshakeType = 11
	HSServerKeyExchange   HandshakeType = 12
	HSCertificateRequest  HandshakeType = 13
	HSServerHelloDone     HandshakeType = 14
	HSCertificateVerify   HandshakeType = 15
	HSClientKeyExchange   HandshakeType = 16
	HSFinished            HandshakeType = 20
	HSCertificateStatus   HandshakeType = 22
	HSKeyUpdate           HandshakeType = 24
)

var hsNames = map[HandshakeType]string{
	HSHelloRequest: "hello_request", HSClientHello: "client_hello", HSServerHello: "server_hello",
	HSNewSessionTicket: "new_session_ticket", HSEndOfEarlyData: "end_of_early_data",
	HSHelloRetryRequest: "hello_retry_request", HSEncryptedExtensions: "encrypted_extensions",
	HSCertificate: "certificate", HSServerKeyExchange: "server_key_exchange",
	HSCertificateRequest: "certificate_request", HSServerHelloDone: "server_hello_done",
	HSCertificateVerify: "certificate_verify", HSClientKeyExchange: "client_key_exchange",
	HSFinished: "finished", HSCertificateStatus: "certificate_status", HSKeyUpdate: "key_update",
}

func (t HandshakeType) String() string {
	if s, ok := hsNames[t]; ok {
		return s
	}
	return "handshake(" + strconv.Itoa(int(t)) + ")"
}

// Version is a TLS protocol version as on the wire (0x0303 is TLS 1.2).
type Version uint16

const (
	VersionSSL30 Version = 0x0300
	VersionTLS10 Version = 0x0301
	VersionTLS11 Version = 0x0302
	VersionTLS12 Version = 0x0303
	VersionTLS13 Version = 0x0304
)

func (v Version) String() string {
	switch v {
	case 0:
		return ""
	case 0x0002:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}

// Suite is a cipher suite number (IANA TLS Cipher Suites registry).
type Suite uint16

// String returns the IANA name, e.g. TLS_AES_128_GCM_SHA256.
func (s Suite) String() string {
	if s == 0 {
		return ""
	}
	return tls.CipherSuiteName(uint16(s))
}

// Resumption says whether and how a session was resumed.
type Resumption uint8

const (
	ResumeNone      Resumption = iota // a full handshake
	ResumeSessionID                   // TLS 1.2: the server echoed the client's session id
	ResumeTicket                      // TLS 1.2: abbreviated handshake after a session ticket
	ResumePSK                         // TLS 1.3: the server accepted a pre-shared key (a ticket)
)

var resumeNames = [...]string{"", "session_id", "ticket", "psk"}

func (r Resumption) String() string {
	if int(r) < len(resumeNames) {
		return resumeNames[r]
	}
	return "resumption(?)"
}

// Anomaly is a named oddity of a TLS stream. Anomalies are counted per connection
// (Facts.Anomalies) and survived.
type Anomaly uint8

const (
	AnomDecryptFailed     Anomaly = iota // a record failed authentication (AEAD tag or MAC): a plaintext gap
	AnomBadRecord                        // a record header that is not TLS: the direction is resynchronised
	AnomRecordTooLong                    // a record longer than Limits.MaxRecord
	AnomHandshakeTooLong                 // a handshake message longer than Limits.MaxHandshake: skipped
	AnomBadHandshake                     // a handshake message whose lengths do not add up
	AnomUndecryptable                    // encrypted records and no key (no key log, or its client random is not in it)
	AnomUnsupportedCipher                // the negotiated suite is not one tlsrec decrypts
	AnomRecordLost                       // a gap swallowed records: their plaintext is a gap
	AnomResync                           // bytes were skipped to find the next record header after a gap
	AnomFatalAlert                       // a fatal alert was sent
	anomCount
)

var anomNames = [...]string{
	"tls_decrypt_failed", "tls_bad_record", "tls_record_too_long", "tls_handshake_too_long",
	"tls_bad_handshake", "tls_undecryptable", "tls_unsupported_cipher", "tls_record_lost",
	"tls_resync", "tls_fatal_alert",
}

func (a Anomaly) String() string {
	if int(a) < len(anomNames) {
		return anomNames[a]
	}
	return "tls_anomaly(?)"
}

// Anomalies is a set of anomalies.
type Anomalies uint16

func (s Anomalies) Has(a Anomaly) bool { return s&(1<<a) != 0 }

// Names appends the names of the anomalies in s, in declaration order.
func (s Anomalies) Names(dst []string) []string {
	for a := Anomaly(0); a < anomCount; a++ {
		if s.Has(a) {
			dst = append(dst, a.String())
		}
	}
	return dst
}

// Alert is one alert record's level and description (RFC 8446 §6); with TLS 1.3 only
// visible when decrypted (or before the handshake keys).
type Alert struct {
	Dir         Dir
	Level       uint8 // 1 warning, 2 fatal
	Description uint8 // 0 close_notify, 40 handshake_failure, ...
	Frame       uint64
	TS          int64
}

var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
	40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
	44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
	47: "illegal_parameter", 48: "unknown_ca", 50: "decode_error", 51: "decrypt_error",
	70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
	110: "unsupported_extension", 112: "unrecognized_name", 116: "certificate_required",
	120: "no_application_protocol",
}

// Name is the description's name, e.g. close_notify.
func (a Alert) Name() string {
	if s, ok := alertNames[a.Description]; ok {
		return s
	}
	return "alert(" + strconv.Itoa(int(a.Description)) + ")"
}
