#!/bin/bash
# Helpers of the ofnicctl selftests (ofnicctl_*.sh), on top of lib.sh. Each
# test drives the tool (build/userspace/ofnicctl, or $OFNIC_CTL) and checks
# the effect with ethtool ($ETHTOOL: Debian 13's, with --json), ip, ynl and
# bpftool, never with ofnicctl itself.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OFNICCTL=${OFNIC_CTL:-$OFNIC_TOP/build/userspace/ofnicctl}
SCHEMA=$OFNIC_TOP/docs/ofnicctl.schema.json

# need_ofnicctl: skip the whole test (with the reason) if the tool is missing.
need_ofnicctl() {
	[ -x "$OFNICCTL" ] || skip_all "$OFNICCTL is not built (make userspace)"
	command -v jq >/dev/null || skip_all "jq is not installed (scripts/setup)"
}

# octl ARGS...: the tool; its stderr goes to $OFNIC_TMP/err (see last_err).
octl() {
	"$OFNICCTL" "$@" 2>"$OFNIC_TMP/err"
}
last_err() { cat "$OFNIC_TMP/err"; }

# octl_log ARGS...: the tool, its output as KTAP comments; its exit status.
octl_log() {
	"$OFNICCTL" "$@" 2>&1 | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# octl_rc ARGS...: the tool's exit status, output to $OFNIC_TMP/out and err.
octl_rc() {
	"$OFNICCTL" "$@" >"$OFNIC_TMP/out" 2>"$OFNIC_TMP/err"
	echo $?
}

# schema_ok DEFINITION: stdin (one JSON document, or NDJSON lines) is valid
# against docs/ofnicctl.schema.json#/definitions/DEFINITION.
schema_ok() {
	/usr/bin/python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
wrapper = {"definitions": schema["definitions"], "$ref": "#/definitions/" + sys.argv[2]}
text = sys.stdin.read()
docs = [json.loads(l) for l in text.splitlines() if l.strip()] if sys.argv[3] == "lines" else [json.loads(text)]
if not docs:
    sys.exit("no JSON document")
for d in docs:
    jsonschema.validate(d, wrapper)
' "$SCHEMA" "$1" "${2:-doc}" 2>&1 | sed 's/^/# schema: /' | tail -n 5
	[ "${PIPESTATUS[0]}" -eq 0 ]
}

# ynl_ofnic ARGS...: the kernel's ynl CLI on ofnic's own family spec. Without
# the JSON-schema check of the spec (slow under TCG; ynl_ofnic_checked does it).
ynl_ofnic() {
	[ -n "${LSRC:-}" ] || LSRC=$(scripts/linux-src) || return 1
	/usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofnic.yaml \
		--no-schema --output-json "$@"
}

# ynl_ofnic_checked ARGS...: the same through include/uapi/ynl, which validates
# the spec against the kernel's genetlink schema first.
ynl_ofnic_checked() {
	include/uapi/ynl --spec include/uapi/ofnic.yaml --output-json "$@"
}

# ynl_netdev ARGS...: ynl on the netdev family, JSON output.
ynl_netdev() {
	[ -n "${LSRC:-}" ] || LSRC=$(scripts/linux-src) || return 1
	/usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" \
		--spec "$LSRC/Documentation/netlink/specs/netdev.yaml" --no-schema --output-json "$@"
}

ifindex() { cat "/sys/class/net/$1/ifindex"; }

# eq DESC GOT WANT: true if equal, logs both otherwise.
eq() {
	[ "$2" = "$3" ] && return 0
	log "$1: got '$2', want '$3'"
	return 1
}

# feature_active IFACE NAME: "on"/"off" from ethtool -k (kernel names).
feature_active() {
	$ETHTOOL -k "$1" | awk -v f="$2:" '$1 == f { print $2; exit }'
}

# err_has TEXT...: the last ofnicctl stderr contains every TEXT.
err_has() {
	local t
	for t in "$@"; do
		grep -qF -- "$t" "$OFNIC_TMP/err" || {
			log "stderr lacks '$t': $(tr '\n' '|' <"$OFNIC_TMP/err")"
			return 1
		}
	done
}

# between DESC LOW VALUE HIGH: LOW <= VALUE <= HIGH (counters read in between)
between() {
	[ "$2" -le "$3" ] && [ "$3" -le "$4" ] && return 0
	log "$1: $3 not in [$2, $4]"
	return 1
}

# rc_is N TEXT... (after RC=$(octl_rc ...)): exit status N, stderr has each TEXT
rc_is() {
	local want=$1
	shift
	eq "exit status" "$RC" "$want" && err_has "$@"
}
