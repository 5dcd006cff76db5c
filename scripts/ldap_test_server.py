#!/usr/bin/env python3
"""A throwaway OpenLDAP server (Debian ``slapd``) on loopback for the directory-login tests.

    python scripts/ldap_test_server.py install   # apt-get install slapd, if missing and root
    python scripts/ldap_test_server.py run        # start, print the settings, wait for Ctrl+C

The tests import :class:`TestDirectory`: it makes a self-signed certificate with openssl,
writes a temporary ``slapd.conf`` (mdb database, memberof overlay, TLS, simple binds only
over TLS), starts slapd on two free loopback ports (``ldap://`` for StartTLS and
``ldaps://``) and loads a small directory of the demo Kommune. Everything lives in a
temporary folder that is removed at :meth:`TestDirectory.stop`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SLAPD_CANDIDATES = ("/usr/sbin/slapd", "/usr/local/libexec/slapd")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap")
SCHEMA_DIRS = ("/etc/ldap/schema", "/etc/openldap/schema")

SUFFIX = "dc=lindenfeld,dc=test"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICE_DN = f"cn=steuerung-dienst,ou=services,{SUFFIX}"
#: Group -> role, as an administrator would configure LDAP_GROUP_ROLE_MAP (first match wins).
GROUP_ROLES = {
    f"cn=steuerung-admin,{GROUPS}": "admin",
    f"cn=steuerung-koordination,{GROUPS}": "coordinator",
    f"cn=steuerung-kaemmerei,{GROUPS}": "treasury",
    f"cn=steuerung-leitung,{GROUPS}": "leadership",
    f"cn=steuerung-fachbereich,{GROUPS}": "submitter",
}
#: uid -> (display name, department attribute, groups (cn), password)
PEOPLE_DATA = {
    "anna.fb3": ("Anna Ordnung", "FB 3", ["steuerung-fachbereich"], "Verz-Anna-Passwort-1"),
    "kai.koord": ("Kai Koordination", "SD", ["steuerung-koordination"], "Verz-Kai-Passwort-2"),
    "tina.kaemmerei": ("Tina Taler", "Kämmerei", ["steuerung-kaemmerei"], "Verz-Tina-Passwort-3"),
    "bernd.leitung": ("Bernd Bürgermeister", "VL", ["steuerung-leitung"], "Verz-Bernd-Passwort-4"),
    "ines.it": ("Ines Infrastruktur", "FB 1", ["steuerung-admin"], "Verz-Ines-Passwort-5"),
    "otto.ohne": ("Otto Ohnegruppe", "FB 3", [], "Verz-Otto-Passwort-6"),
    "erna.fremd": ("Erna Fremd", "FB 99", ["steuerung-fachbereich"], "Verz-Erna-Passwort-7"),
}


def find(candidates: tuple[str, ...]) -> str | None:
    """The first existing path of ``candidates``."""
    return next((c for c in candidates if Path(c).exists()), None)


def slapd_path() -> str | None:
    """Where slapd is installed, or None."""
    return shutil.which("slapd") or find(SLAPD_CANDIDATES)


def install() -> bool:
    """Install slapd with apt when it is missing and we are root; True if it is there then."""
    if slapd_path():
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)  # noqa: S603,S607
    subprocess.run(  # noqa: S603
        ["apt-get", "install", "-y", "-qq", "slapd"],  # noqa: S607
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return slapd_path() is not None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestDirectory:
    """A running slapd with the demo directory; use :meth:`start` and :meth:`stop`."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="steuerung-ldap-"))
        self.admin_dn = f"cn=admin,{SUFFIX}"
        self.admin_password = secrets.token_urlsafe(16)
        self.service_password = secrets.token_urlsafe(16)
        self.ldap_port = free_port()
        self.ldaps_port = free_port()
        self.cert = self.folder / "server.pem"
        self.process: subprocess.Popen[bytes] | None = None

    # --- set-up -------------------------------------------------------------------------

    def _certificate(self) -> None:
        """A self-signed certificate for 127.0.0.1 / localhost, valid one day."""
        key = self.folder / "server.key"
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o600)

    def _config(self) -> Path:
        modules = find(MODULE_DIRS)
        schema = find(SCHEMA_DIRS)
        if schema is None:
            raise RuntimeError("OpenLDAP-Schemadateien nicht gefunden")
        data = self.folder / "data"
        data.mkdir()
        lines = [
            f"include {schema}/core.schema",
            f"include {schema}/cosine.schema",
            f"include {schema}/inetorgperson.schema",
            f"pidfile {self.folder}/slapd.pid",
            f"argsfile {self.folder}/slapd.args",
        ]
        if modules:
            lines += [f"modulepath {modules}", "moduleload back_mdb", "moduleload memberof"]
        lines += [
            f"TLSCertificateFile {self.cert}",
            f"TLSCertificateKeyFile {self.folder / 'server.key'}",
            # Simple binds only over TLS: a bind that skipped StartTLS would fail here.
            "security simple_bind=128",
            "database mdb",
            f"suffix {SUFFIX}",
            f"rootdn {self.admin_dn}",
            f"rootpw {self.admin_password}",
            f"directory {data}",
            "maxsize 104857600",
            "overlay memberof",
            "access to attrs=userPassword by self write by anonymous auth by * none",
            f'access to * by dn.exact="{SERVICE_DN}" read by self read by users read by * none',
        ]
        path = self.folder / "slapd.conf"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def start(self, timeout: float = 15.0) -> TestDirectory:
        """Make the certificate and config, start slapd, load the directory."""
        binary = slapd_path()
        if binary is None:
            raise RuntimeError("slapd ist nicht installiert (scripts/ldap_test_server.py install)")
        self._certificate()
        config = self._config()
        urls = f"ldap://127.0.0.1:{self.ldap_port}/ ldaps://127.0.0.1:{self.ldaps_port}/"
        self.process = subprocess.Popen(  # noqa: S603
            [binary, "-d", "0", "-h", urls, "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise RuntimeError(f"slapd beendet sich sofort: {error[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.ldaps_port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("slapd antwortet nicht")
        self.load()
        return self

    def stop(self) -> None:
        """Stop slapd and remove every file."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- content ------------------------------------------------------------------------

    def connection(self):  # noqa: ANN201 (ldap3 imported lazily)
        """An ldap3 connection as the directory administrator over StartTLS."""
        from ldap3 import Connection, Server, Tls

        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.cert))
        server = Server(f"ldap://127.0.0.1:{self.ldap_port}", tls=tls, connect_timeout=5)
        conn = Connection(server, self.admin_dn, self.admin_password, raise_exceptions=True)
        conn.open()
        conn.start_tls()
        conn.bind()
        return conn

    def load(self) -> None:
        """The demo Kommune's directory: people, groups and a service account."""
        conn = self.connection()
        conn.add(
            SUFFIX, ["dcObject", "organization"], {"o": "Stadt Lindenfeld", "dc": "lindenfeld"}
        )
        for ou in ("people", "groups", "services"):
            conn.add(f"ou={ou},{SUFFIX}", ["organizationalUnit"], {"ou": ou})
        conn.add(
            SERVICE_DN,
            ["inetOrgPerson"],
            {"cn": "steuerung-dienst", "sn": "Dienst", "userPassword": self.service_password},
        )
        for uid, (name, department, _groups, password) in PEOPLE_DATA.items():
            self.add_person(uid, name, department, password)
        for group_dn in GROUP_ROLES:
            cn = group_dn.split(",")[0].split("=")[1]
            members = [self.person_dn(uid) for uid, data in PEOPLE_DATA.items() if cn in data[2]]
            # groupOfNames needs a member; the service account keeps a group valid when the
            # tests take its last person out.
            conn.add(group_dn, ["groupOfNames"], {"cn": cn, "member": [SERVICE_DN, *members]})
        conn.unbind()

    @staticmethod
    def person_dn(uid: str) -> str:
        """DN of a person in ou=people."""
        return f"uid={uid},{PEOPLE}"

    def add_person(self, uid: str, name: str, department: str, password: str) -> None:
        """Add an inetOrgPerson."""
        conn = self.connection()
        conn.add(
            self.person_dn(uid),
            ["inetOrgPerson"],
            {
                "uid": uid,
                "cn": name,
                "sn": name.split()[-1],
                "displayName": name,
                "mail": f"{uid}@lindenfeld.test",
                "departmentNumber": department,
                "userPassword": password,
            },
        )
        conn.unbind()

    def set_attribute(self, uid: str, attribute: str, value: str) -> None:
        """Replace one attribute of a person."""
        from ldap3 import MODIFY_REPLACE

        conn = self.connection()
        try:
            conn.modify(self.person_dn(uid), {attribute: [(MODIFY_REPLACE, [value])]})
        finally:
            conn.unbind()

    def set_membership(self, uid: str, group_cn: str, member: bool) -> None:
        """Add ``uid`` to or remove it from a group."""
        from ldap3 import MODIFY_ADD, MODIFY_DELETE

        conn = self.connection()
        operation = MODIFY_ADD if member else MODIFY_DELETE
        try:
            conn.modify(f"cn={group_cn},{GROUPS}", {"member": [(operation, [self.person_dn(uid)])]})
        finally:
            conn.unbind()

    def app_config(self, *, starttls: bool = False, style: str = "search") -> dict[str, object]:
        """Steuerung's LDAP_* settings for this server."""
        url = (
            f"ldap://127.0.0.1:{self.ldap_port}"
            if starttls
            else f"ldaps://127.0.0.1:{self.ldaps_port}"
        )
        config: dict[str, object] = {
            "LDAP_URL": url,
            "LDAP_STARTTLS": starttls,
            "LDAP_CA_FILE": str(self.cert),
            "LDAP_BIND_STYLE": style,
            "LDAP_BIND_DN": SERVICE_DN if style == "search" else "",
            "LDAP_BIND_PASSWORD": self.service_password if style == "search" else "",
            "LDAP_USER_DN_TEMPLATE": f"uid={{username}},{PEOPLE}",
            "LDAP_USER_SEARCH_BASE": PEOPLE,
            "LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username}))",
            "LDAP_USERNAME_ATTRIBUTE": "uid",
            "LDAP_NAME_ATTRIBUTE": "displayName",
            "LDAP_MAIL_ATTRIBUTE": "mail",
            "LDAP_DEPARTMENT_ATTRIBUTE": "departmentNumber",
            "LDAP_DEPARTMENT_MAP": "",
            "LDAP_GROUP_SEARCH_BASE": GROUPS,
            "LDAP_GROUP_FILTER": "(member={user_dn})",
            "LDAP_GROUP_ROLE_MAP": dict(GROUP_ROLES),
            "LDAP_TIMEOUT": 5,
        }
        return config


def main(argv: list[str]) -> int:
    """``install`` or ``run``."""
    command = argv[1] if len(argv) > 1 else "run"
    if command == "install":
        ok = install()
        print(
            "slapd vorhanden." if ok else "slapd fehlt und kann ohne root nicht installiert werden."
        )
        return 0 if ok else 1
    if not install():
        print("slapd fehlt: sudo apt-get install slapd", file=sys.stderr)
        return 1
    directory = TestDirectory().start()
    try:
        for key, value in directory.app_config().items():
            print(f"{key}={value}")
        print("Benutzer:", ", ".join(f"{u} / {d[3]}" for u, d in PEOPLE_DATA.items()))
        print("Läuft; Beenden mit Strg+C.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        directory.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
