#!/usr/bin/env bash
# Demo: run an LwM2M client against a local Leshan demo server (127.0.0.1).
#
#   tools/demo.sh [--keep] [BINARY [ENDPOINT]]
#   tools/demo.sh [--keep] --selfcheck [ENDPOINT]
#
# BINARY defaults to $ANJ_EXAMPLE_MANDATORY_OBJECTS and is run as
# `BINARY ENDPOINT coap://127.0.0.1:PORT` in the foreground; --selfcheck runs
# the harness's Leshan-library client instead. Open the printed web UI URL to
# read/write/observe the client; Ctrl-C stops the client (it de-registers).
# A server this script started is stopped afterwards unless --keep is given;
# one already running (tools/leshan.sh start) is reused and left running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
leshan="$root/tools/leshan.sh"

keep=0
selfcheck=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --keep) keep=1; shift ;;
        --selfcheck) selfcheck=1; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done

if [[ $selfcheck == 1 ]]; then
    read -r -a client <<<"$(python3 "$root/tests/interop/leshan.py" selfcheck-client)"
    endpoint="${1:-anj-demo-leshan}"
else
    binary="${1:-${ANJ_EXAMPLE_MANDATORY_OBJECTS:-}}"
    if [[ -z "$binary" ]]; then
        echo "usage: tools/demo.sh [--keep] BINARY [ENDPOINT]  (or set ANJ_EXAMPLE_MANDATORY_OBJECTS)" >&2
        exit 2
    fi
    if [[ ! -x "$binary" ]]; then
        echo "error: $binary is not an executable file" >&2
        exit 2
    fi
    client=("$binary")
    endpoint="${2:-anj-demo}"
fi

started=0
if ! "$leshan" status >/dev/null 2>&1; then
    "$leshan" start >/dev/null
    started=1
fi
cleanup() {
    if [[ $started == 1 && $keep == 0 ]]; then
        "$leshan" stop
    fi
}
trap cleanup EXIT

coap_uri="$("$leshan" status --field coap_uri)"
web_url="$("$leshan" status --field web_url)"
echo "Leshan web UI:  $web_url"
echo "CoAP server:    $coap_uri"
echo "Client:         ${client[*]} $endpoint $coap_uri"
echo "Press Ctrl-C to stop the client."
# Ctrl-C reaches the client (same process group). A no-op handler (not
# "ignore", which the client would inherit) keeps this script alive to clean up.
trap ':' INT
set +e
"${client[@]}" "$endpoint" "$coap_uri"
code=$?
set -e
echo "client exited with $code"
