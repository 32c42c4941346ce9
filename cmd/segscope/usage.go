package main

const usage = `segscope - TCP segment inspector and HTTP/1.x reassembler

Usage:
    segscope COMMAND [flags] [FILE...] [EXPRESSION]   read pcap/pcapng files (gzip ok; - is stdin)
    segscope COMMAND [flags] -i IFACE [EXPRESSION]    capture live (root or CAP_NET_RAW)

    EXPRESSION is a tcpdump filter (pcap-filter(7)), e.g. tcp port 80 and host 10.0.0.1;
    frame numbers stay the file's. Live, the kernel applies it to the socket.

Commands:
    packets    one line per TCP segment, tcpdump style, with Wireshark's frame numbers
    conns      one row per TCP connection
    http       one row per HTTP exchange (request and response)
    follow     the reassembled bytes of a connection (--conn N)
    anatomy    how each HTTP message of a connection was cut into segments (--conn N)
    ladder     a connection as a sequence diagram (--conn N)
    diagnose   connection-management findings in plain words
    har        an HTTP Archive (HAR 1.2) of every exchange, for browsers' tools and HAR viewers
    export     every HTTP body as a file in DIR, with index.jsonl (segscope export DIR FILE...)
    capture    write live packets to a file (-i IFACE -w FILE)
    version    print the version

Each command takes only its own flags: segscope help COMMAND (or segscope COMMAND --help)
lists them.

Common flags:
    -r, --read FILE        read FILE (may repeat; files are read as one capture, in order)
    -i, --interface IFACE  capture live from IFACE
    -c, --count N          stop after N frames
    -o, --output FILE      write output to FILE instead of stdout
        --format FORMAT    text (default), json (JSON Lines), zeek (conns: conn.log,
                           http: http.log) or parquet (packets, conns, http; needs -o)
        --merge            merge the input files into time order, frame by frame (mergecap);
                           without it files are read one after another (a directory or a
                           quoted glob stands for the captures in it, in natural name order)
        --conn LIST        only these connections: numbers and ranges (3,5-9), a 4-tuple
                           (ip:port-ip:port, either order), a host (10.0.0.1), a port
                           (:8080) or an endpoint (10.0.0.1:8080), comma-separated
    -f, --filter EXPR      the filter expression (instead of after the files)
    -d, --dump-filter      print the compiled filter program (as tcpdump -d) and exit
    -w FILE                also write the selected frames (filter, --conn, or with --msg
                           one exchange and its handshake) to FILE: pcap, or pcapng with
                           --pcapng or a .pcapng name; - is stdout; --force replaces a file
    -S, --absolute         raw sequence numbers instead of relative ones (packets)
    -q, --quiet            no summary on stderr

follow:  --hex | --raw --dir c2s|s2c [--fill-gaps] | --write-dir DIR
http:    --verify-coding (inflate gzip bodies instead of trusting the gzip trailer's length),
         --headers (each exchange's header lines under its row, like curl -v)
har:     --har-body-max BYTES (body text up to this size; default 1 MiB, 0 none)
export:  --body-max BYTES (default 64 MiB), --fill-gaps (write bodies with gaps, zero-filled),
         --force (overwrite files in DIR)
conns, http, har: --community-id-seed N (seed of the Community IDs; default 0)
anatomy: --msg K (exchange K only), --part req|resp
ladder:  --max-rows N (collapse long runs of data segments)
capture: -w FILE, --pcap (pcap instead of pcapng), -s/--snaplen N,
         -C MB (new file every MB million bytes: FILE, FILE1, ...), -W N (with -C a ring of
         N files FILE0..; with -G stop after N files), -G SECONDS (new file every SECONDS of
         packet time; strftime %Y%m%d%H%M%S in FILE)

Live:   -i reads a TPACKET_V3 ring: --ring-blocks N (default 64; 0: a plain packet socket),
        --ring-block-size BYTES (default 1 MiB)
Limits: --max-conns N, --max-buffer BYTES (out-of-order bytes per direction)
Speed:  --workers N uses N cores: packets, conns and http split the connections between
        N workers; the other commands read on a second core (same output, byte for byte)

Exit status: 0 success, 1 failure, 2 usage error.
`
