#!/usr/bin/env bash
# tests/tls_certs.sh -- make throw-away TLS certificates for the TLS tests, at test time.
#
# Usage: tests/tls_certs.sh DIR
# Writes into DIR (nothing secret is committed; every key is new on each run):
#   ca.pem            the test CA (trusted by the server and the clients)
#   server.pem        server certificate + key, CN/SAN localhost and 127.0.0.1, by ca.pem
#   server-pw.pem     the same with its key encrypted under the password "hunter2"
#   server-expired.pem a server certificate + key that expired in 2020
#   client.pem        client certificate + key, subject
#                     CN=client,OU=test,O=Secantus,L=Paris,ST=IDF,C=FR, by ca.pem
#   client-expired.pem a client certificate + key by ca.pem that expired in 2020
#   rogue-ca.pem      a second CA nobody trusts; rogue-client.pem and rogue-server.pem by it
# Exit status: 0, or openssl's failure.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1; }

key() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# ca NAME CN
ca() {
    key "$1.key"
    q openssl req -x509 -new -key "$1.key" -days 30 -subj "/CN=$2" -out "$1.pem" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# leaf NAME CA SUBJECT EXT [START END]: a certificate signed by CA, NAME.pem = cert + key.
leaf() {
    local name=$1 ca=$2 subj=$3 ext=$4
    key "$name.key"
    q openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
    printf '%s\n' "$ext" >"$name.ext"
    if [ $# -ge 6 ]; then
        # a validity window in the past needs `openssl ca` (x509 -req only counts days ahead)
        mkdir -p "ca-$name"
        : >"ca-$name/index.txt"
        cat >"ca-$name/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = ca-$name/index.txt
new_certs_dir = ca-$name
serial = ca-$name/serial
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
        echo 01 >"ca-$name/serial"
        q openssl ca -batch -config "ca-$name/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
            -in "$name.csr" -out "$name.crt" -startdate "$5" -enddate "$6" -extfile "$name.ext" \
            -notext
    else
        q openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
            -days 30 -out "$name.crt" -extfile "$name.ext"
    fi
    cat "$name.crt" "$name.key" >"$name.pem"
}

server_ext='subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth'
client_ext='extendedKeyUsage=clientAuth'

ca ca "Secantus Test CA"
ca rogue-ca "Rogue Test CA"
leaf server ca "/CN=localhost/O=Secantus" "$server_ext"
leaf client ca "/C=FR/ST=IDF/L=Paris/O=Secantus/OU=test/CN=client" "$client_ext"
leaf client-expired ca "/CN=expired-client" "$client_ext" 20200101000000Z 20200201000000Z
leaf server-expired ca "/CN=localhost" "$server_ext" 20200101000000Z 20200201000000Z
leaf rogue-client rogue-ca "/CN=rogue-client" "$client_ext"
leaf rogue-server rogue-ca "/CN=localhost" "$server_ext"
q openssl pkey -in server.key -aes256 -passout pass:hunter2 -out server-pw.key
cat server.crt server-pw.key >server-pw.pem
