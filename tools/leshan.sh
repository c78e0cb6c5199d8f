#!/usr/bin/env bash
# Run an Eclipse Leshan demo LwM2M server in the background, on 127.0.0.1 only.
#
#   tools/leshan.sh start [--coap-port N] [--web-port N] [--coaps-port N]
#   tools/leshan.sh stop
#   tools/leshan.sh status [--field coap_uri|web_url|coap_port|web_port|pid|log]
#   tools/leshan.sh jar        # install the server jar (via mvn) and print its path
#   tools/leshan.sh setup      # install java+mvn (apt, if missing), the jar and
#                              # the self-check client: everything the tests need
#
# Ports not given are picked free at start. The pid file and a JSON state file
# live in tests/interop/.leshan/ (server.pid, server.json); logs in
# tests/interop/.leshan/runs/. Needs python3, java (17) and mvn; the jar comes
# from Maven Central on first use. All logic is in tests/interop/leshan.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 ]]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
if [[ $1 == setup ]]; then
    if ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends default-jdk-headless maven >/dev/null
        else
            echo "error: need javac (JDK 17) and mvn; install e.g. default-jdk-headless and maven" >&2
            exit 1
        fi
    fi
    python3 "$root/tests/interop/leshan.py" jar
    python3 "$root/tests/interop/leshan.py" selfcheck-client >/dev/null
    echo "Leshan interop harness ready"
    exit 0
fi
exec python3 "$root/tests/interop/leshan.py" "$@"
