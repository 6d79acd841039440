#!/bin/bash
# compare-outcomes.sh BARE_LOG NESTED_LOG VM_NAME DIVERGENCES
#
# A nested-VMX payload's bare run (Bochs' own VMX) against its nested run
# (an L1 of Umbra, console lines prefixed "[VM_NAME] "): the same KTAP
# result for every test and the same "# outcome" line for every rule. A
# difference is allowed only for a key listed in DIVERGENCES (a test name
# or an outcome label, then why), and a listed key must differ: the list
# stays true. Prints "same" when all is as listed, else one line per
# problem; the exit status says the same.
set -u
bare=$1 nested=$2 vm=$3 div=$4

# key<TAB>value for each KTAP result and outcome line of a log.
extract() {
	tr -d '\r' <"$1" | sed -n "s/^$2//p" | awk '
		/^(not )?ok [0-9]+ / {
			res = ($1 == "not") ? "not ok" : "ok"
			name = ($1 == "not") ? $4 : $3
			if ($0 ~ / # SKIP/) res = res " skip"
			print "test:" name "\t" res
			next
		}
		/^# outcome / { v = $4; for (i = 5; i <= NF; i++) v = v " " $i; print "outcome:" $3 "\t" v }'
}

extract "$bare" "" | sort >"$nested.bare.tmp"
extract "$nested" "\\[$vm\\] " | sort >"$nested.nested.tmp"
allowed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$div" | awk '{print $1}')
problems=$(join -t $'\t' -a1 -a2 -e MISSING -o 0,1.2,2.2 "$nested.bare.tmp" "$nested.nested.tmp" |
	awk -F'\t' -v allowed="$allowed" '
		BEGIN { n = split(allowed, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
		{
			key = $1; sub(/^[a-z]+:/, "", key)
			differs = ($2 != $3)
			if (differs) seen[key] = 1
			if (differs && !(key in ok)) print "differs: " $1 " bare=\"" $2 "\" nested=\"" $3 "\""
		}
		END { for (k in ok) if (!(k in seen)) print "listed but the same: " k }')
rm -f "$nested.bare.tmp" "$nested.nested.tmp"
if [ -z "$(extract "$nested" "\\[$vm\\] ")" ]; then
	echo "no KTAP lines from [$vm]"
	exit 1
fi
if [ -n "$problems" ]; then
	echo "$problems"
	exit 1
fi
echo same
