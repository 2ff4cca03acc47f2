#!/bin/sh
# Regenerates sig_vectors.txt: verify-only known answers for signature
# types 0-6 and 8 made with OpenSSL, an implementation independent of
# veil and of Go's crypto. Keys are fresh on every run and discarded;
# only public keys and signatures are kept. Needs openssl(1) >= 3 and xxd.
# Usage: sh gen_sig_vectors.sh > sig_vectors.txt
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

hexof() { xxd -p "$1" | tr -d '\n'; }
# pad HEX to N bytes with leading zeros
pad() { printf '%0*s' "$(($2 * 2))" "$1" | tr ' ' 0; }
lower() { tr 'A-F' 'a-f'; }
# r and s of a DER ECDSA/DSA signature, each padded to N bytes
rs() {
	openssl asn1parse -inform DER -in "$1" | awk -F: '/INTEGER/ {print $NF}' > ints
	r=$(sed -n 1p ints); s=$(sed -n 2p ints)
	printf '%s%s' "$(pad "$r" "$2")" "$(pad "$s" "$2")" | lower
}

record() { # type source pub msg sig [field value]
	echo "type: $1"
	echo "source: $2"
	echo "pub: $3"
	echo "$6: $4"
	echo "sig: $5"
	echo
}

printf 'veil known-answer signatures made with OpenSSL (%s) by\n' "$(openssl version | cut -d' ' -f1-2)" | sed 's/^/# /'
echo "# gen_sig_vectors.sh. Fields: type (I2P sig type), pub, msg or digest"
echo "# (digest = su3 raw form, see VerifyRSARawHash/VerifyEd25519phHash), sig."
echo

msg="I2P signature known answer"
printf '%s' "$msg" > msg
msghex=$(hexof msg)

# 0: DSA-SHA1 over I2P's group (cryptography.rst).
cat > dsa.cnf <<'CNF'
asn1 = SEQUENCE:params
[params]
p = INTEGER:0x9C05B2AA960D9B97B8931963C9CC9E8C3026E9B8ED92FAD0A69CC886D5BF8015FCADAE31A0AD18FAB3F01B00A358DE237655C4964AFAA2B337E96AD316B9FB1CC564B5AEC5B69A9FF6C3E4548707FEF8503D91DD8602E867E6D35D2235C1869CE2479C3B9D5401DE04E0727FB33D6511285D4CF29538D9E3B6051F5B22CC1C93
q = INTEGER:0xA5DFC28FEF4CA1E286744CD8EED9D29D684046B7
g = INTEGER:0x0C1F4D27D40093B429E962D7223824E0BBC47E7C832A39236FC683AF84889581075FF9082ED32353D4374D7301CDA1D23C431F4698599DDA02451824FF369752593647CC3DDC197DE985E43D136CDCFC6BD5409CD2F450821142A5E6F8EB1C3AB5D0484B8129FCF17BCE4F7F33321C3CB3DBB14A905E7B2B3E93BE4708CBCC82
CNF
openssl asn1parse -genconf dsa.cnf -out dsaparam.der -noout
# OpenSSL 3 will not decode bare DER DSA parameters; the PEM label names them.
{ echo "-----BEGIN DSA PARAMETERS-----"; base64 -w64 dsaparam.der; echo "-----END DSA PARAMETERS-----"; } > dsaparam.pem
openssl gendsa -out dsa.pem dsaparam.pem 2>/dev/null
openssl pkey -in dsa.pem -pubout -outform DER -out dsapub.der
# the public key BIT STRING wraps an INTEGER y
off=$(openssl asn1parse -inform DER -in dsapub.der | awk -F: '/BIT STRING/ {print $1+0; exit}')
y=$(openssl asn1parse -inform DER -in dsapub.der -strparse "$off" | awk -F: '/INTEGER/ {print $NF}')
openssl dgst -sha1 -sign dsa.pem -out sig.der msg
record 0 "OpenSSL DSA, I2P group, SHA-1" "$(pad "$y" 128 | lower)" "$msghex" "$(rs sig.der 20)" msg

# 1-3: ECDSA.
for spec in "1 prime256v1 sha256 32" "2 secp384r1 sha384 48" "3 secp521r1 sha512 66"; do
	set -- $spec
	openssl ecparam -name "$2" -genkey -noout -out ec.pem
	openssl ec -in ec.pem -pubout -outform DER -out ecpub.der 2>/dev/null
	pub=$(hexof ecpub.der | tail -c $(($4 * 4)))
	openssl dgst -"$3" -sign ec.pem -out sig.der msg
	record "$1" "OpenSSL ECDSA $2 $3" "$pub" "$msghex" "$(rs sig.der "$4")" msg
done

# 4-6: RSA PKCS#1 v1.5, e = 65537; for type 6 also the su3 raw form
# (PKCS#1 v1.5 padding over the bare SHA-512 digest, no DigestInfo).
for spec in "4 2048 sha256" "5 3072 sha384" "6 4096 sha512"; do
	set -- $spec
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$2" -pkeyopt rsa_keygen_pubexp:65537 -out rsa.pem 2>/dev/null
	n=$(openssl rsa -in rsa.pem -modulus -noout | cut -d= -f2 | lower)
	openssl dgst -"$3" -sign rsa.pem -out sig.bin msg
	record "$1" "OpenSSL RSA-$2 $3 PKCS#1 v1.5" "$n" "$msghex" "$(hexof sig.bin)" msg
	if [ "$1" = 6 ]; then
		openssl dgst -sha512 -binary -out digest.bin msg
		openssl pkeyutl -sign -inkey rsa.pem -pkeyopt rsa_padding_mode:pkcs1 -in digest.bin -out raw.bin
		record 6 "OpenSSL RSA-4096 raw (NONEwithRSA) over SHA-512, su3 form" "$n" "$(hexof digest.bin)" "$(hexof raw.bin)" digest
	fi
done

# 8: I2P Ed25519ph = pure Ed25519 over SHA-512(msg).
openssl genpkey -algorithm ed25519 -out ed.pem
openssl pkey -in ed.pem -pubout -outform DER -out edpub.der
openssl dgst -sha512 -binary -out digest.bin msg
openssl pkeyutl -sign -rawin -inkey ed.pem -in digest.bin -out edsig.bin
record 8 "OpenSSL pure Ed25519 over SHA-512(msg)" "$(hexof edpub.der | tail -c 64)" "$msghex" "$(hexof edsig.bin)" msg
