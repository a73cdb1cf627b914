#!/bin/sh
# Makes a throwaway CA and a certificate for smtp.example.org, so that Alertmanager's e-mail to the example's
# smarthost (smtp.example.org:587, STARTTLS required by default) reaches the mail catcher with verified TLS.
# Alertmanager trusts only this CA (SSL_CERT_FILE in docker-compose.yml). Runs once; the certificates live in the
# `mail-certs` volume and are never committed.
set -eu
dir=${1:-/certs}
if [ -s "$dir/smtp.crt" ] && [ -s "$dir/ca.crt" ]; then
  echo "mail catcher certificates already exist"
  exit 0
fi
command -v openssl >/dev/null 2>&1 || apk add --no-cache openssl >/dev/null
work=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=vigil compose mail catcher CA" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=smtp.example.org" -keyout "$work/smtp.key" -out "$work/smtp.csr" 2>/dev/null
printf 'subjectAltName=DNS:smtp.example.org\nextendedKeyUsage=serverAuth\n' > "$work/ext.cnf"
openssl x509 -req -in "$work/smtp.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 3650 \
  -extfile "$work/ext.cnf" -out "$work/smtp.crt" 2>/dev/null
# The mail catcher runs as another user: its key must be readable. It protects nothing but this demo.
install -m 0644 "$work/ca.crt" "$work/smtp.crt" "$work/smtp.key" "$dir/"
rm -rf "$work"
echo "mail catcher certificates written to $dir"
