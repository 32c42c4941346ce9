module github.com/segscope/segscope

go 1.26.8

require (
	github.com/andybalholm/brotli v1.3.0
	github.com/gopacket/gopacket v1.7.7
	github.com/rogpeppe/go-internal v1.16.0
	github.com/spf13/pflag v1.1.0
	golang.org/x/net v0.55.0
)

require (
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
