#!/bin/bash
# The layers include only downwards (README's layout): fails, naming each
# include that points up a layer.
#   scripts/check-layers.sh [ROOT]
# abi/ and lib/ are the ground floor; arch/x86/ sits on them; ept/ on arch/;
# vcpu/ and nested/ on all of those; boot/ on top. Not checked yet: boot/
# also holds the Multiboot formats and boot information that the guest
# loader in vcpu/ uses (boot_info.h, multiboot.h).
set -euo pipefail
root=${1:-.}
bad=0

# forbid FOLDER REGEX: no file under FOLDER may include a header matching REGEX.
forbid() {
	local dir=$root/$1 pattern=$2 hits
	[ -d "$dir" ] || return 0
	hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"($pattern)/" "$dir" \
		--include='*.c' --include='*.h' --include='*.S' || true)
	if [ -n "$hits" ]; then
		echo "check-layers: $1 includes from a layer above it:" >&2
		echo "$hits" | sed "s#^$root/#  #" >&2
		bad=1
	fi
}

forbid abi 'lib|arch|ept|vcpu|nested|boot'
forbid lib 'arch|ept|vcpu|nested|boot'
forbid arch 'ept|vcpu|nested|boot'
forbid ept 'vcpu|nested|boot'
forbid nested 'boot'

[ "$bad" = 0 ] && echo "check-layers: ok"
exit "$bad"
