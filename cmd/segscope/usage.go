package main

const usage = `segscope - TCP segment inspector and HTTP/1.x reassembler

Usage:
    segscope COMMAND [flags] [FILE...]     read pcap/pcapng files (gzip ok; - is stdin)
    segscope COMMAND [flags] -i IFACE      capture live (root or CAP_NET_RAW)

Commands:
    packets    one line per TCP segment, tcpdump style, with Wireshark's frame numbers
    conns      one row per TCP connection
    http       one row per HTTP exchange (request and response)
    follow     the reassembled bytes of a connection (--conn N)
    anatomy    how each HTTP message of a connection was cut into segments (--conn N)
    ladder     a connection as a sequence diagram (--conn N)
    tseq       a time-sequence graph of one direction, SVG (--conn N --dir c2s|s2c)
    diagnose   connection-management findings in plain words
    report     one self-contained HTML report: summary, waterfall, connections, findings
    capture    write live packets to a file (-i IFACE -w FILE)
    version    print the version

Each command takes only its own flags: segscope help COMMAND (or segscope COMMAND --help)
lists them.

Common flags:
    -r, --read FILE        read FILE (may repeat; files are read as one capture, in order)
    -i, --interface IFACE  capture live from IFACE
    -c, --count N          stop after N frames
    -o, --output FILE      write output to FILE instead of stdout
        --format FORMAT    text (default) or json (JSON Lines); svg for ladder and anatomy
        --conn N|A-B       only connection N, or the one between endpoints A and B
                           (ip:port-ip:port, either order)
    -S, --absolute         raw sequence numbers instead of relative ones (packets)
    -q, --quiet            no summary on stderr

follow:  --hex | --raw --dir c2s|s2c [--fill-gaps] | --write-dir DIR
http:    --verify-coding (inflate gzip bodies instead of trusting the gzip trailer's length)
anatomy: --msg K (exchange K only), --part req|resp
ladder:  --max-rows N (collapse long runs of data segments)
report:  -o FILE.html (stdout without it)
capture: -w FILE, --pcap (pcap instead of pcapng), -s/--snaplen N

Limits: --max-conns N, --max-buffer BYTES (out-of-order bytes per direction)
Speed:  --workers N uses N cores: packets, conns and http split the connections between
        N workers; the other commands read on a second core (same output, byte for byte)

Exit status: 0 success, 1 failure, 2 usage error.
`
