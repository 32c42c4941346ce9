package http1

// Anomaly is a named protocol oddity that the parser survived.
type Anomaly uint16

const (
	AnomNone                     Anomaly = iota
	AnomContentLengthAndChunked          // Content-Length and Transfer-Encoding: chunked together; chunked wins
	AnomDuplicateContentLength           // several identical Content-Length values; accepted
	AnomConflictingContentLength         // Content-Length values differ; framing invalid, stream resynchronised
	AnomInvalidContentLength             // Content-Length not a decimal number (or overflows); framing invalid
	AnomBadTransferEncoding              // Transfer-Encoding whose last coding is not chunked (request), chunked twice or not last
	AnomTransferEncodingHTTP10           // Transfer-Encoding in an HTTP/1.0 message; ignored, as net/http does
	AnomBadChunkSize                     // chunk-size line not hex, too long or overflowing; stream resynchronised
	AnomBadChunkTerminator               // chunk data not followed by CRLF; stream resynchronised
	AnomChunkExtension                   // chunk-size line carries extensions
	AnomObsFold                          // obsolete line folding in a header field; joined with one space
	AnomBareLF                           // line ended by LF without CR
	AnomHeaderWithoutColon               // header line without a colon; skipped
	AnomSpaceBeforeColon                 // whitespace between field name and colon; name trimmed
	AnomInvalidHeaderName                // field name with characters outside tchar; kept
	AnomInvalidHeaderValue               // field value with control characters; kept
	AnomLineTooLong                      // a line longer than Limits.MaxLine; skipped
	AnomHeadersTooLarge                  // header block over Limits.MaxHeaderBytes; later fields dropped
	AnomTooManyHeaders                   // more than Limits.MaxHeaders fields; later fields dropped
	AnomBadRequestLine                   // request line malformed
	AnomBadStatusLine                    // status line malformed
	AnomUnknownMethod                    // method token not a registered method
	AnomUnknownVersion                   // HTTP/1.x with x other than 0 or 1
	AnomMissingHost                      // HTTP/1.1 request without Host
	AnomDuplicateHost                    // several Host fields
	AnomResponseWithoutRequest           // a response with no request pending
	AnomRequestAfterClose                // a request after a message that closed the connection
	AnomDataAfterClose                   // bytes after the sender's FIN/RST
	AnomResync                           // bytes skipped to find the next start line
	AnomPipelineOverflow                 // more pending requests than Limits.MaxPipeline; oldest emitted early
	AnomBodyNotAllowed                   // non-zero Content-Length or chunked on a response that has no body
	AnomDecodedTooLarge                  // content decoding exceeded Limits.MaxDecoded
	AnomBadContentEncoding               // content decoding failed (corrupt or unknown data)
	AnomWhitespaceInTarget               // request target with spaces; method is the first token, version the last
	AnomHTTP09                           // HTTP/0.9 response: no status line, body to the close
	AnomResponseInGap                    // the response was lost in a capture gap; later responses pair with later requests
	AnomRequestInGap                     // the request was lost in a capture gap; the response is kept
)

var anomalyNames = [...]string{
	AnomNone:                     "none",
	AnomContentLengthAndChunked:  "content_length_and_chunked",
	AnomDuplicateContentLength:   "duplicate_content_length",
	AnomConflictingContentLength: "conflicting_content_length",
	AnomInvalidContentLength:     "invalid_content_length",
	AnomBadTransferEncoding:      "bad_transfer_encoding",
	AnomTransferEncodingHTTP10:   "transfer_encoding_http10",
	AnomBadChunkSize:             "bad_chunk_size",
	AnomBadChunkTerminator:       "bad_chunk_terminator",
	AnomChunkExtension:           "chunk_extension",
	AnomObsFold:                  "obs_fold",
	AnomBareLF:                   "bare_lf",
	AnomHeaderWithoutColon:       "header_without_colon",
	AnomSpaceBeforeColon:         "space_before_colon",
	AnomInvalidHeaderName:        "invalid_header_name",
	AnomInvalidHeaderValue:       "invalid_header_value",
	AnomLineTooLong:              "line_too_long",
	AnomHeadersTooLarge:          "headers_too_large",
	AnomTooManyHeaders:           "too_many_headers",
	AnomBadRequestLine:           "bad_request_line",
	AnomBadStatusLine:            "bad_status_line",
	AnomUnknownMethod:            "unknown_method",
	AnomUnknownVersion:           "unknown_version",
	AnomMissingHost:              "missing_host",
	AnomDuplicateHost:            "duplicate_host",
	AnomResponseWithoutRequest:   "response_without_request",
	AnomRequestAfterClose:        "request_after_close",
	AnomDataAfterClose:           "data_after_close",
	AnomResync:                   "resync",
	AnomPipelineOverflow:         "pipeline_overflow",
	AnomBodyNotAllowed:           "body_not_allowed",
	AnomDecodedTooLarge:          "decoded_too_large",
	AnomBadContentEncoding:       "bad_content_encoding",
	AnomWhitespaceInTarget:       "whitespace_in_target",
	AnomHTTP09:                   "http09",
	AnomResponseInGap:            "response_in_gap",
	AnomRequestInGap:             "request_in_gap",
}

func (a Anomaly) String() string {
	if int(a) < len(anomalyNames) && anomalyNames[a] != "" {
		return anomalyNames[a]
	}
	return "anomaly(?)"
}
