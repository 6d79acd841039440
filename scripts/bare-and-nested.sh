# Sourced by the differential fuzz scripts: one payload's run bare on
# Bochs' VMX and as an L1 under Umbra, side by side.
#   bare_and_nested OUT NAME PAYLOAD ARGS
# writes OUT/NAME-{bare,nested}.{cfg,iso} and runs both at once (one CPU
# each), their consoles in OUT/NAME-{bare,nested}/serial.log; under Umbra
# the VM is named PAYLOAD. BUILD and ROOT come from the caller.
bare_and_nested() {
	local out=$1 name=$2 payload=$3 args=$4 kind
	printf 'set timeout=0\nset default=0\nmenuentry "bare" {\n\tmultiboot /boot/%s.elf name=bare -- %s\n\tboot\n}\n' \
		"$payload" "$args" >"$out/$name-bare.cfg"
	printf 'set timeout=0\nset default=0\nmenuentry "nested" {\n\tmultiboot2 /boot/umbra.elf\n\tset gfxpayload=text\n\tmodule2 /boot/%s.elf name=%s nested=1 mem=16M -- %s\n\tboot\n}\n' \
		"$payload" "$payload" "$args" >"$out/$name-nested.cfg"
	for kind in bare nested; do
		"$ROOT/scripts/make-iso.sh" "$out/$name-$kind.iso" "$out/$name-$kind.cfg" "$BUILD/umbra.elf" \
			"$BUILD/guest/$payload.elf" >/dev/null || exit 2
	done
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$name-bare.iso" --cpus 1 --out "$out/$name-bare" --timeout 3600 &
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$name-nested.iso" --cpus 1 --out "$out/$name-nested" --timeout 3600
	wait
}
