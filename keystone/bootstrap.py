"""Projects, users and catalog for cinderflow, created through Keystone's API (idempotent)."""
import os
import time

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

URL = 'http://127.0.0.1:5000/v3'
SERVICE_HOST = os.environ['KEYSTONE_SERVICE_HOST']
REGION = os.environ['KEYSTONE_REGION']

for _ in range(300):
    try:
        auth = v3.Password(auth_url=URL, username='admin',
                           password=os.environ['KEYSTONE_ADMIN_PASSWORD'],
                           project_name='admin', user_domain_id='default',
                           project_domain_id='default')
        # uwsgi closes every connection (no keep-alive): retry one it closed under us.
        sess = session.Session(auth=auth, connect_retries=3)
        sess.get_token()
        break
    except Exception:  # uwsgi still starting
        time.sleep(0.2)
else:
    raise SystemExit('keystone did not answer')

# The catalog's identity URL is for clients outside the container.
ks = client.Client(session=sess, endpoint_override=URL)


def role(name):
    found = ks.roles.list(name=name)
    return found[0] if found else ks.roles.create(name)


def project(name):
    found = ks.projects.list(name=name, domain='default')
    return found[0] if found else ks.projects.create(name, 'default')


def user(name, password, proj, roles):
    found = ks.users.list(name=name, domain='default')
    u = found[0] if found else ks.users.create(name, domain='default', password=password,
                                              default_project=proj)
    for r in roles:
        ks.roles.grant(role(r), user=u, project=proj)


service = project('service')
demo = project('demo')
# keystonemiddleware-style token validation needs the service role (or admin, before
# enforce_new_defaults).
user('cinderflow', os.environ['KEYSTONE_SERVICE_PASSWORD'], service, ['admin', 'service'])
user('member', os.environ['KEYSTONE_DEMO_PASSWORD'], demo, ['member'])
user('reader', os.environ['KEYSTONE_DEMO_PASSWORD'], demo, ['reader'])
# A member of another project: sees none of demo's volumes.
other = project('other')
user('other', os.environ['KEYSTONE_DEMO_PASSWORD'], other, ['member'])
# The admin user can also act in demo (as Cinder's admin does across projects).
ks.roles.grant(role('admin'), user=ks.users.list(name='admin')[0], project=demo)
