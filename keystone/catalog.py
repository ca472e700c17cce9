"""The catalog cinderflow serves, written before Keystone starts: creating endpoints through
Keystone's API on sqlite deadlocks ("database is locked") in Keystone 22."""
import json
import os
import sqlite3
import uuid

HOST = os.environ['KEYSTONE_SERVICE_HOST']
REGION = os.environ['KEYSTONE_REGION']
# Overridable for a cluster whose APIs are not on the default ports (the e2e suite's free ports,
# compose's CINDER_API_PORT and GLANCE_API_PORT).
VOLUME_URL = os.environ.get('KEYSTONE_VOLUME_URL') or f'http://{HOST}:8776/v3/%(project_id)s'
IMAGE_URL = os.environ.get('KEYSTONE_IMAGE_URL') or f'http://{HOST}:9292'
CATALOG = [
    ('cinderv3', 'volumev3', VOLUME_URL),
    ('cinder', 'block-storage', VOLUME_URL),
    ('glance', 'image', IMAGE_URL),
]

db = sqlite3.connect('/var/lib/keystone/keystone.db')
with db:
    for name, kind, url in CATALOG:
        if db.execute('SELECT 1 FROM service WHERE type = ?', (kind,)).fetchone():
            continue
        service = uuid.uuid4().hex
        db.execute('INSERT INTO service (id, type, enabled, extra) VALUES (?, ?, 1, ?)',
                   (service, kind, json.dumps({'name': name})))
        for interface in ('public', 'internal', 'admin'):
            db.execute('INSERT INTO endpoint (id, interface, service_id, url, extra, enabled,'
                       ' region_id) VALUES (?, ?, ?, ?, ?, 1, ?)',
                       (uuid.uuid4().hex, interface, service, url, '{}', REGION))
