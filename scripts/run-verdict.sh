#!/usr/bin/env bash
# The verdict of a run, from Umbra's console: the last line a user reads,
# and an exit status scripts and CI can use (0: every VM passed).
#   run-verdict.sh SERIAL_LOG [WHAT]
# Non-zero when Umbra panicked, reported an error, ran no VM, a VM failed,
# or the console ends without Umbra's summary line (it did not finish).
set -uo pipefail
log=$1 what=${2:-run}

fail() {
	echo "$what: FAILED: $*" >&2
	exit 1
}

[ -s "$log" ] || fail "the console is empty ($log): the emulator printed nothing (see the lines above)"
summary=$(grep -aE '^umbra: summary cpus=[0-9]+ vmx=[0-9]+ vms=[0-9]+ pass=[0-9]+ fail=[0-9]+' "$log" | tail -n 1)
if grep -aqE '^umbra: panic' "$log"; then
	fail "Umbra panicked: $(grep -aE '^umbra: panic' "$log" | head -n 1)"
fi
if [ -z "$summary" ]; then
	fail "Umbra did not finish (no summary line); its last line: $(grep -av '^\s*$' "$log" | tail -n 1)"
fi
read -r vmx vms pass nfail < <(sed -E 's/.* vmx=([0-9]+) vms=([0-9]+) pass=([0-9]+) fail=([0-9]+).*/\1 \2 \3 \4/' <<<"$summary")
if [ "$vmx" = 0 ]; then
	fail "no CPU could run guests: $(grep -aE '^umbra: (vmx|error):' "$log" | head -n 1)"
fi
[ "$vms" -gt 0 ] || fail "no VM ran (did grub.cfg give Umbra any modules?)"
[ "$nfail" = 0 ] || fail "$nfail of $vms VMs failed: $(grep -aE '^umbra: vm [^ ]+ exit=.* verdict=(fail|error)' "$log" | head -n 3 | paste -sd '|' | sed 's/|/; /g')"
echo "$what: ok: all $vms VMs passed ($summary)"
