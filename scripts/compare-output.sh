#!/usr/bin/env bash
# compare-output.sh - run segscope built from the working tree and from a given commit
# over every capture in testdata/pcaps and ../shared/pcaps, with every command, and
# report each output that differs.
#
# What it runs, per capture, with --workers 1 and --workers 3:
#   packets, conns, http, diagnose            --format text and --format json
#   anatomy, ladder --conn 1                  --format text and --format json
#   follow --conn 1, follow --conn 1 --hex    (text only: follow has no JSON)
# and compares stdout, stderr and the exit status of the two builds byte for byte.
#
# Usage: scripts/compare-output.sh [--json-only] [--keep DIR] [REV]
#   REV         the commit to compare against (default HEAD); built with git archive
#   --json-only compare only the JSON runs (text changes on purpose in some commits)
#   --keep DIR  keep both builds' outputs in DIR (default: a temp dir, removed at the end)
# Exit status: 0 when every output is identical, 1 when one differs, 2 on a usage error.
set -euo pipefail

rev=HEAD
json_only=0
keep=""
while [ $# -gt 0 ]; do
	case "$1" in
	--json-only) json_only=1 ;;
	--keep) keep="$2"; shift ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	-*) echo "compare-output.sh: unknown flag $1" >&2; exit 2 ;;
	*) rev="$1" ;;
	esac
	shift
done

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${keep:-$tmp/out}
mkdir -p "$out/old" "$out/new" "$tmp/src"

git -C "$root" archive "$rev" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go build -o "$tmp/old" ./cmd/segscope)
(cd "$root" && go build -o "$tmp/new" ./cmd/segscope)

captures=()
for d in "$root/testdata/pcaps" "$root/../shared/pcaps"; do
	[ -d "$d" ] || { echo "compare-output.sh: $d absent, skipped" >&2; continue; }
	while IFS= read -r f; do captures+=("$f"); done < <(find "$d" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.pcap.gz' \) | sort)
done

runs=()
for fmt in text json; do
	[ "$fmt" = text ] && [ "$json_only" = 1 ] && continue
	for c in packets conns http diagnose; do runs+=("$c --format $fmt"); done
	for c in anatomy ladder; do runs+=("$c --conn 1 --format $fmt"); done
done
if [ "$json_only" = 0 ]; then
	runs+=("follow --conn 1" "follow --conn 1 --hex")
fi

n=0
bad=0
for f in "${captures[@]}"; do
	name=${f#"$root/"}
	name=${name//\//_}
	for r in "${runs[@]}"; do
		for w in 1 3; do
			key="$name.${r// /_}.w$w"
			for b in old new; do
				set +e
				# shellcheck disable=SC2086 # $r is a list of arguments
				"$tmp/$b" $r --workers "$w" "$f" >"$out/$b/$key.out" 2>"$out/$b/$key.err"
				echo "exit $?" >>"$out/$b/$key.err"
				set -e
			done
			n=$((n + 1))
			if ! cmp -s "$out/old/$key.out" "$out/new/$key.out" || ! cmp -s "$out/old/$key.err" "$out/new/$key.err"; then
				bad=$((bad + 1))
				echo "DIFFERS: segscope $r --workers $w $name"
				diff "$out/old/$key.out" "$out/new/$key.out" | head -5 || true
				diff "$out/old/$key.err" "$out/new/$key.err" | head -5 || true
			fi
		done
	done
done
echo "compare-output.sh: $n runs on ${#captures[@]} captures against $rev ($(git -C "$root" rev-parse --short "$rev")): $bad differ"
[ "$bad" = 0 ]
