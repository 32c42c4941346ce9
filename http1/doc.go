// Package http1 parses the HTTP/1.x messages carried by the two byte streams
// of one TCP connection and pairs requests with responses.
//
// It owns: start lines and header blocks (RFC 9112), the body-length rule
// (one pure function, BodyFraming), chunked framing with trailers, pairing of
// pipelined requests and responses anchored in the TCP acknowledgements the
// caller passes (Parser.Ack; see pairing.go: lost messages are skipped, first-in
// first-out without acknowledgements; 1xx interim responses do not shift the
// pairing; the request method decides HEAD and CONNECT response framing), keep-alive bookkeeping, resynchronisation after a gap or a
// mid-stream start at the next plausible start line, the decoded length of
// content-coded bodies (gzip, x-gzip, deflate as zlib or raw, br; see Content
// codings) with a size cap, and protocol detection on the first client bytes
// (TLS with SNI, the HTTP/2 preface).
// It does not own TCP reassembly, timing analysis or output: the caller pushes
// in-order bytes, gaps and closes, and receives Exchange values.
//
// The Parser is a push state machine: Feed, Gap, Close and Finish may be called
// with any split of the streams and give the same exchanges. It starts no
// goroutine and reads no clock; times are the ts values passed in. Data passed
// to Feed is borrowed for the call; the parser copies only partial lines, held
// client bytes after CONNECT/Upgrade, bodies when Limits.KeepBodies asks for
// them, and encoded bodies that must be decoded (see Content codings). Body
// bytes of a Content-Length or chunked body are otherwise only counted. A message allocates one string for its
// start line and one for its header block (all fields slice it).
//
// # Start lines
//
// A request line is method SP request-target SP HTTP/1.x; a status line is
// HTTP/1.x SP 3DIGIT [SP reason]. Where a message must start (the first bytes
// of a direction, or right after a complete message) the parser also takes the
// malformed request lines seen in the wild, flagged bad_request_line: a broken
// version ("GET / HTTP/1."), no target ("OPTIONS HTTP/1.1"), and no version at
// all ("GET /x", a simple HTTP/0.9 request, Version "HTTP/0.9"). A response to
// a simple request that does not start with "HTTP/" is an HTTP/0.9 response:
// Status 0, the body runs to the server's close. While resynchronising only
// strict lines with a registered method are accepted, so bodies and binary
// data do not produce garbage exchanges.
//
// # Tunnels
//
// After a 101 the parser stops (Upgrade names the protocol). After a 2xx to
// CONNECT it looks at the client's first bytes in the tunnel: a TLS
// ClientHello gives SNI() and parsing stops; a request line means plain
// HTTP/1.x through a proxy, parsed on in both directions (depths continue);
// anything else stops parsing. Protocol() stays ProtoTunnel.
//
// # Verdicts
//
// complete: both messages seen whole and paired by acknowledgement evidence.
// inferred: both seen whole, paired first-in first-out without that evidence.
// no_request: a response whose request is not in the capture. gap: bytes of a message were missing
// (a gap inside a body of known length is skipped; a gap elsewhere ends the
// message and the stream is resynchronised). truncated: a message ended early
// (close or end of capture inside it, or unusable framing). no_response: the
// request got no response (gap instead when server bytes were lost while it
// waited, and when a whole message was lost: response_in_gap, request_in_gap).
// conflict is never set here; the caller sets it when retransmitted
// bytes disagreed. BodyLen counts body bytes lost in gaps, GapBytes says how
// many were lost.
//
// # Content codings
//
// With Limits.DecodeBodies, Message.DecodedLen is the body length after
// undoing Content-Encoding (identity items ignored), for a message complete
// without gaps; otherwise it is -1 (also for unknown codings and chains of
// more than four, without an anomaly). How it is found:
//
//   - A single gzip or x-gzip coding (the common case): from the gzip trailer.
//     The parser keeps only the first 10 and the last 8 body bytes (a fixed
//     window, no buffer), checks the header (magic 1f 8b, method 8, reserved
//     flag bits clear; a body under 20 bytes cannot be a gzip member) and
//     reports the trailer's ISIZE, the decoded length mod 2^32. The
//     compressed data are not read: a corrupt deflate stream or CRC32 goes
//     unnoticed, ISIZE is taken as written, a body of several gzip members
//     reports the last member's size, and a decoded size of 4 GiB or more
//     wraps. A bad header gives bad_content_encoding; an ISIZE or an encoded
//     body over Limits.MaxDecoded gives decoded_too_large; both give -1.
//   - With Limits.VerifyCoding, gzip bodies are inflated instead: the CRC32
//     and ISIZE of every member are checked (a mismatch or a corrupt stream
//     gives bad_content_encoding and -1), and several members count as one
//     body (the sum of their sizes, as net/http and Zeek read them).
//   - deflate (zlib or raw) and br carry no length, and chains of codings
//     ("gzip, br") need the inner layers decoded: the encoded body is kept (at
//     most Limits.MaxDecoded bytes, else decoded_too_large) and decoded when
//     the message ends, with decoders reused by the parser. These, and
//     VerifyCoding, cost time and memory in proportion to the body.
//
// # Limits
//
// Every buffer is bounded by Limits: partial lines (MaxLine), header blocks
// (MaxHeaderBytes, MaxHeaders), pending exchanges (MaxPipeline), chunk marks,
// kept bodies (MaxBody per message; Budget across the parsers sharing it, whose
// bytes come back as exchanges are released), encoded bodies kept for decoding (deflate, br,
// chains, VerifyCoding) and decoded output (MaxDecoded), client bytes held after CONNECT/Upgrade (MaxHeaderBytes), and
// the TLS ClientHello read for SNI (32 KiB).
//
// # Known limits
//
// A request and its response both lost leave no trace but the depth they take
// (nothing is reported for them). Several responses lost together in pipelined
// traffic with no request sent in between are counted as one. A response to a
// lost HEAD request cannot be framed. A server that answers "Expect: 100-continue" with a final
// status and the client that then skips its body are not modelled: the next
// request is read as body. Bytes are assumed to be fed in capture order.
//
// # Anomalies
//
// Protocol oddities are named, attached to the message (and to its exchange),
// and survived:
//
//	content_length_and_chunked  Content-Length with Transfer-Encoding chunked; chunked wins
//	duplicate_content_length    repeated identical Content-Length values; accepted
//	conflicting_content_length  differing Content-Length values; framing invalid, resync
//	invalid_content_length      Content-Length not 1*DIGIT; framing invalid, resync (a response that closes the connection: read to the close)
//	bad_transfer_encoding       request Transfer-Encoding not ending in chunked, chunked twice or not last
//	transfer_encoding_http10    Transfer-Encoding in HTTP/1.0; ignored (as net/http)
//	bad_chunk_size              chunk-size not hex, over 15 digits, or line too long; resync
//	bad_chunk_terminator        chunk data not followed by CRLF; resync
//	chunk_extension             chunk-size line with extensions
//	obs_fold                    obsolete line folding; joined with one space
//	bare_lf                     line ended by LF alone
//	header_without_colon        header line without a colon (or empty name); skipped
//	space_before_colon          whitespace between field name and colon; name trimmed
//	invalid_header_name         field name with non-tchar bytes
//	invalid_header_value        field value with control characters
//	line_too_long               header or trailer line over Limits.MaxLine; its first MaxLine bytes kept as a cut field (Message.HeadersCut)
//	headers_too_large           header block over Limits.MaxHeaderBytes; the crossing field kept cut, later fields dropped
//	too_many_headers            over Limits.MaxHeaders fields; later fields dropped
//	bad_request_line            malformed request line: taken leniently (see Start lines) or skipped (resync)
//	bad_status_line             a line where a status line was due is malformed; skipped (resync)
//	unknown_method              request method not a registered one
//	unknown_version             HTTP/1.x with x not 0 or 1
//	missing_host                HTTP/1.1 request without Host
//	duplicate_host              several Host fields
//	response_without_request    a response with no pending request (Req is nil)
//	request_after_close         a request after a message that announced the close
//	data_after_close            bytes after the direction's Close
//	resync                      bytes were skipped before this message to find a start line
//	pipeline_overflow           more than Limits.MaxPipeline pending; oldest emitted early
//	body_not_allowed            204 response announcing a body
//	decoded_too_large           decoded (or gzip ISIZE) or kept encoded body over Limits.MaxDecoded
//	bad_content_encoding        corrupt content-coded body (gzip: bad header; all of it with VerifyCoding)
//	whitespace_in_target        request target with spaces: method the first token, version the last
//	http09                      HTTP/0.9 response (no status line): status 0, body to the close
//	response_in_gap             the response was lost in a capture gap; the exchange says gap
//	request_in_gap              the request was lost in a capture gap; the response is kept
//
// Malformed start lines are not reported as messages: a line that is not a
// start line is skipped, and the skipped bytes are counted (Parser.Skipped)
// and flagged resync on the next message.
package http1
