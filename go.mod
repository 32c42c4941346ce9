module github.com/segscope/segscope

go 1.26.8

require (
	github.com/andybalholm/brotli v1.3.0 // indirect
	github.com/gopacket/gopacket v1.7.7 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
)
