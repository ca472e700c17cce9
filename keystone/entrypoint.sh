#!/bin/sh
# Keystone with its sqlite database (migrated at build), the users and catalog cinderflow
# needs, served by uwsgi.
set -eu
# A restarted container (compose) keeps its files: ready only once this start has bootstrapped.
rm -f /var/lib/keystone/ready
keystone-manage fernet_setup --keystone-user root --keystone-group root
keystone-manage credential_setup --keystone-user root --keystone-group root
# The schema is in the image (Dockerfile: db_sync at build).
# Clients outside the container use the public URL: where the host publishes port 5000.
PUBLIC_URL="${KEYSTONE_PUBLIC_URL:-http://$KEYSTONE_PUBLIC_HOST:5000/v3/}"
keystone-manage bootstrap \
  --bootstrap-password "$KEYSTONE_ADMIN_PASSWORD" \
  --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
  --bootstrap-region-id "$KEYSTONE_REGION" \
  --bootstrap-admin-url "http://$KEYSTONE_PUBLIC_HOST:5000/v3/" \
  --bootstrap-internal-url "http://$KEYSTONE_PUBLIC_HOST:5000/v3/" \
  --bootstrap-public-url "$PUBLIC_URL"

python3 /usr/local/bin/catalog.py

# One worker: sqlite refuses concurrent writers ("database is locked"). No keep-alive: an idle
# kept-alive connection would hold the only worker.
uwsgi --plugin python3 --http-socket :5000 --wsgi-file /usr/bin/keystone-wsgi-public \
  --master --processes 1 --threads 1 --die-on-term --disable-logging --buffer-size 65535 \
  --add-header "Connection: close" &
UWSGI=$!
trap 'kill -TERM $UWSGI; wait $UWSGI' TERM INT

python3 /usr/local/bin/bootstrap.py
# The marker the e2e helper and the compose health check wait for.
touch /var/lib/keystone/ready
echo "keystone ready"
wait $UWSGI
