#!/bin/sh
# Makes vigil's throwaway CA, its server certificate (for the names vigil has on the compose network and on the
# host) and a client certificate for agents, so the compose stack runs vigil over TLS end to end. Prometheus and
# the healthcheck trust only this CA. Runs once; the files live in the `vigil-certs` volume and are never committed.
# To rotate: replace server.crt and server.key in the volume; vigil presents them at the next handshake.
set -eu
dir=${1:-/certs}
if [ -s "$dir/server.crt" ] && [ -s "$dir/ca.crt" ]; then
  echo "vigil certificates already exist"
  exit 0
fi
command -v openssl >/dev/null 2>&1 || apk add --no-cache openssl >/dev/null
work=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=vigil compose CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
issue() {
  name=$1 sans=$2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" -keyout "$work/$name.key" -out "$work/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$sans" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 825 \
    -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
}
issue server "DNS:vigil,DNS:localhost,IP:127.0.0.1"
issue agent "DNS:agent"
# vigil runs as uid 10001 and Prometheus as nobody: the keys must be readable by them. They protect only this demo.
install -m 0644 "$work/ca.crt" "$work/server.crt" "$work/server.key" "$work/agent.crt" "$work/agent.key" "$dir/"
rm -rf "$work"
echo "vigil certificates written to $dir"
