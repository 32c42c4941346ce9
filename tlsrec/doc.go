// Package tlsrec reads the TLS layer of one TCP connection: the record layer of both
// directions, the handshake messages, the facts of the session, and, with a key log,
// the decrypted application data, which it hands on as a plaintext stream per direction
// (for http1, exactly as a clear TCP stream).
//
// It owns: record framing (content type, version, length; records split across TCP
// segments and several in one; an SSLv2-compatible ClientHello), reassembly of handshake
// messages across records, the facts (Facts: version, cipher suite, SNI, ALPN offered and
// chosen, resumption, 0-RTT attempted, HelloRetryRequest, extended master secret,
// encrypt-then-MAC, the handshake's round trips and the time from the ClientHello to the
// first application data, the server certificate's subject and validity when visible,
// alerts), the NSS key log format (KeyLog), the TLS 1.3 key schedule from traffic
// secrets (HKDF-Expand-Label, KeyUpdate), the TLS 1.2 key expansion from the master
// secret (PRF), and record decryption: AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305
// in TLS 1.2 and 1.3, and TLS 1.2 AES-CBC with HMAC-SHA1/SHA256/SHA384, MAC-then-encrypt
// or encrypt-then-MAC (RFC 7366). It does not own TCP reassembly, HTTP, output, or
// the decision that a stream is TLS (Sniff helps the caller make it).
//
// # Push contract
//
// Conn is a push state machine like http1.Parser: Feed (in-order bytes of one direction
// with their stream offset), Gap (bytes missing from the capture) and Close may be called
// with any split of the streams and give the same records, facts and plaintext. It starts
// no goroutine and reads no clock (times are the ts values passed in). Data passed to
// Feed is borrowed for the call: a record that arrives whole in one Feed is read in
// place; only a record split across calls is copied, into a per-direction buffer of at
// most Limits.MaxRecord bytes. Decryption writes into one buffer reused for every
// record (ShareOutput lets the Conns of one goroutine share it), so the application-data
// path does not allocate and an idle connection holds no decryption buffer. Handler calls come in
// stream order per direction; the plaintext passed to TLSPlaintext is valid for the
// call only. Record.PlainOff and PlainLen map each record's application data to the
// plaintext stream; Record.Off, HeaderLen and Len map it to the TCP stream.
//
// # Decryption
//
// The key log is looked up by the ClientHello's random when the ServerHello is seen.
// TLS 1.3: the handshake traffic secrets open the server's flight and the client's
// Finished; after each side's Finished its application traffic secret (…_TRAFFIC_SECRET_0)
// takes over; a KeyUpdate moves that direction to the next secret. The middlebox
// compatibility ChangeCipherSpec is skipped. TLS 1.2: CLIENT_RANDOM gives the master
// secret; the key block is PRF(master, "key expansion", server_random + client_random)
// with the suite's PRF hash, and each direction's keys start at its ChangeCipherSpec.
// With the extended master secret only the master secret's derivation differs, and the
// key log gives the master secret itself, so EMS sessions decrypt the same way.
// A record that fails authentication (AEAD tag, MAC, padding) is the tls_decrypt_failed
// anomaly: its plaintext is reported as a gap (TLSPlainGap) of the record's size less its
// overhead — exact for AEAD suites, at most 255 bytes too large for CBC (the padding is
// not known) — and the next record is opened with the next sequence number: the stream
// continues, never as garbage.
//
// # Gaps
//
// A gap inside a record whose header was seen keeps the framing: that record is lost
// (its plaintext a gap) and reading goes on at the next header. A gap that crosses a
// record boundary loses the framing: the direction scans for the next plausible header
// (content type, version as negotiated, length within Limits.MaxRecord), and, since the
// sequence numbers of the lost records are unknown, tries the ones that fit (the fewest
// whole records that fit in the lost bytes, and up to Limits.MaxResyncTries more). The
// plaintext lost is reported as one gap: the lost bytes less each lost record's header
// and overhead. A false header found inside ciphertext costs at most one more record.
//
// # Known limits
//
// 0-RTT early data is recognised (Facts.EarlyData) but not decrypted (the early secret's
// suite is the resumed session's, not known from the capture); such records are passed
// over without an anomaly. SSL 3.0, TLS 1.0 and 1.1, RSA key-exchange secrets (the RSA
// key log label), CCM and NULL suites are not decrypted (tls_unsupported_cipher). The
// chosen ALPN of TLS 1.3 is in the encrypted extensions: only known with the keys.
// Without keys, the client's first TLS 1.3 application data is taken to be its second
// encrypted record (the first is its Finished).
//
// # Anomalies
//
//	tls_decrypt_failed      a record failed authentication: a plaintext gap
//	tls_bad_record          a record header that is not TLS: resynchronised
//	tls_record_too_long     a record over Limits.MaxRecord: resynchronised
//	tls_handshake_too_long  a handshake message over Limits.MaxHandshake: skipped
//	tls_bad_handshake       a ClientHello, ServerHello or Certificate whose lengths do not add up
//	tls_undecryptable       a key log was given but has no usable keys for this session
//	tls_unsupported_cipher  the key log has the session, but its version or suite is not decrypted
//	tls_record_lost         bytes of records were lost in a TCP gap
//	tls_resync              bytes were skipped to find a record header after a gap
//	tls_fatal_alert         an alert of level fatal
package tlsrec
