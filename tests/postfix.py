"""A throwaway Postfix with OpenDKIM and OpenDMARC, set up as the README's deployment says.

Everything lives in one temp dir and on loopback. Postfix listens on a free port of 127.0.0.1 and
hands mail for the programme's domain to mailflow's receiver, mail for the senders' domains to a
test sink (its transport map). The two milters listen on free ports of 127.0.0.1. A dnsmasq on a
loopback address of its own (127.53.x.y, port 53) is the DNS that publishes the senders' DKIM keys
and DMARC policies: OpenDKIM is pointed at it (Nameservers); OpenDMARC asks the system resolver, so
it runs in a mount namespace of its own whose /etc/resolv.conf names that dnsmasq. Nothing of the
machine's own DNS or mail setup is touched.

Test mail comes from 127.0.0.2, like mail from the internet (verified, never signed); mailflow
relays from 127.0.0.1, the one internal host (signed for the programme's domain, never verified).
"""
from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Iterator

from .support.ports import free_port
from .support.sink import SmtpSink

POSTFIX, MASTER = Path("/usr/sbin/postfix"), Path("/usr/lib/postfix/sbin/master")
OPENDKIM, OPENDMARC = Path("/usr/sbin/opendkim"), Path("/usr/sbin/opendmarc")
GENKEY, DNSMASQ = Path("/usr/sbin/opendkim-genkey"), Path("/usr/sbin/dnsmasq")
UNSHARE = Path("/usr/bin/unshare")
PACKAGES = {POSTFIX: "postfix", OPENDKIM: "opendkim", OPENDMARC: "opendmarc",
            GENKEY: "opendkim-tools", DNSMASQ: "dnsmasq-base", UNSHARE: "util-linux"}

PROGRAMME_DOMAIN = "mentoring.test"
AUTHSERV_ID = "mx.mentoring.test"  # Postfix's myhostname, and the milters' AuthservID
PROGRAMME_SELECTOR = "mailflow"
SENDER_SELECTOR = "test"
INTERNET_ADDRESS = "127.0.0.2"  # where test mail comes from: not the internal host 127.0.0.1
START_TIMEOUT = 20.0

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file = {root}/postfix.log
maillog_file_prefixes = {root}
myhostname = {authserv_id}
mydomain = {domain}
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery here
mynetworks = 127.0.0.1/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# the deployment of the README:
relay_domains = {domain}
transport_maps = texthash:{root}/postfix/transport
recipient_delimiter = +
header_checks = regexp:{root}/postfix/header_checks
smtpd_milters = inet:127.0.0.1:{dkim_port}, inet:127.0.0.1:{dmarc_port}
non_smtpd_milters = $smtpd_milters
milter_default_action = tempfail
# no DNS at all: every next hop is a [literal] loopback address
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
# a test waits for mail, not for retry timers
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
notify_classes =
biff = no
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

# Incoming mail may carry Authentication-Results under our own authserv-id, written by its sender:
# drop them before the milters see the mail (OpenDMARC believes the results it finds under its
# TrustedAuthservIDs) and before mailflow does. header_checks never see the milters' own headers.
HEADER_CHECKS = "/^Authentication-Results:.*{authserv_id}/ IGNORE\n"

OPENDKIM_CONF = """\
Mode sv
Socket inet:{port}@127.0.0.1
AuthservID {authserv_id}
Background no
Syslog no
PidFile {root}/opendkim/opendkim.pid
KeyTable {root}/opendkim/keytable
SigningTable refile:{root}/opendkim/signingtable
InternalHosts {root}/opendkim/internalhosts
Canonicalization relaxed/simple
OversignHeaders From
Nameservers {dns}
DNSTimeout 5
# the key lies under /tmp, which everybody may write to; an operator's lies in /etc/opendkim/keys
RequireSafeKeys false
"""

OPENDMARC_CONF = """\
Socket inet:{port}@127.0.0.1
AuthservID {authserv_id}
TrustedAuthservIDs {authserv_id}
Background false
Syslog false
PidFile {root}/opendmarc/opendmarc.pid
IgnoreHosts {root}/opendmarc/ignorehosts
RejectFailures false
SPFIgnoreResults true
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
"""

DNSMASQ_CONF = """\
port=53
listen-address={address}
bind-interfaces
no-resolv
no-hosts
user=root
log-queries
log-facility={root}/dnsmasq.log
"""


def postfix_missing_reason() -> str | None:
    """Why the Postfix tests cannot run here, or None when they can."""
    missing = sorted({package for path, package in PACKAGES.items() if not path.exists()})
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install {' '.join(missing)})"
    if os.geteuid() != 0:
        return "the Postfix stack is started as root (a mount namespace for OpenDMARC's resolver)"
    return None



@dataclass(frozen=True)
class DkimKey:
    """A key made with opendkim-genkey, as an operator makes one: private key and TXT record."""
    domain: str
    selector: str
    private_path: Path
    record: str

    @property
    def name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def private_pem(self) -> bytes:
        return self.private_path.read_bytes()


def make_key(directory: Path, domain: str, selector: str) -> DkimKey:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(GENKEY), "--bits=2048", f"--domain={domain}", f"--selector={selector}",
                    f"--directory={directory}"], check=True, capture_output=True, timeout=60)
    zone_stub = (directory / f"{selector}.txt").read_text()
    record = "".join(re.findall(r'"([^"]*)"', zone_stub))
    return DkimKey(domain, selector, directory / f"{selector}.private", record)


@dataclass
class PostfixStack:
    """A running Postfix + OpenDKIM + OpenDMARC + DNS. `port` is Postfix's SMTP port (what
    MAILFLOW_RELAY names, and where test mail is submitted); `keys` holds each domain's key."""
    root: Path
    port: int
    receiver_port: int
    sink: SmtpSink
    keys: dict[str, DkimKey]
    dns: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    @property
    def relay_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def submit(self, message: EmailMessage | bytes, sender: str, recipients: list[str]) -> None:
        """Send mail to Postfix as another mail server on the internet would (from 127.0.0.2)."""
        raw = message if isinstance(message, bytes) else message.as_bytes(policy=SMTP)
        raw = re.sub(rb"\r?\n", b"\r\n", raw)
        with smtplib.SMTP("127.0.0.1", self.port, timeout=20,
                          source_address=(INTERNET_ADDRESS, 0)) as client:
            client.sendmail(sender, recipients, raw)

    def txt(self, name: bytes | str, timeout: int = 5) -> bytes | None:
        """The TXT record this stack's DNS publishes for name: the `dnsfunc` for dkimpy."""
        name = name.decode() if isinstance(name, bytes) else name
        record = self.dns.get(name.rstrip(".").lower())
        return record.encode() if record is not None else None

    def queue_is_empty(self) -> bool:
        """True once Postfix has delivered (or bounced) everything it accepted."""
        queued = [path for name in ("incoming", "active", "deferred", "maildrop")
                  for path in (self.root / "queue" / name).rglob("*") if path.is_file()]
        return not queued

    def logs(self) -> str:
        """Postfix's and dnsmasq's logs and what the milters said on stderr: for failures."""
        parts = []
        for name in ("postfix.log", "dnsmasq.log", "opendkim.err", "opendmarc.err"):
            path = self.root / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-6000:]}")
        return "\n".join(parts)


def _dns_address() -> str:
    """A loopback address of our own for the DNS's port 53: no other name server is there."""
    return f"127.53.{random.randint(1, 254)}.{random.randint(1, 254)}"


def _dns_records(keys: dict[str, DkimKey], dmarc: dict[str, str]) -> dict[str, str]:
    records = {key.name: key.record for key in keys.values()}
    records.update({f"_dmarc.{domain}": policy for domain, policy in dmarc.items()})
    return records


def _write_dnsmasq(root: Path, address: str, records: dict[str, str], zones: set[str]) -> Path:
    """dnsmasq answers for the test's zones only: their TXT records, NXDOMAIN for other names."""
    lines = [DNSMASQ_CONF.format(address=address, root=root)]
    lines += [f"local=/{zone}/" for zone in sorted(zones)]
    for name, text in records.items():
        chunks = [text[i:i + 250] for i in range(0, len(text), 250)]  # a string holds 255 bytes
        lines.append(f"txt-record={name}," + ",".join(f'"{chunk}"' for chunk in chunks))
    path = root / "dnsmasq.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_opendkim(root: Path, port: int, dns: str, key: DkimKey) -> Path:
    """Sign what the internal host (mailflow) sends as the programme; verify all else."""
    folder = root / "opendkim"
    folder.mkdir(exist_ok=True)
    key_entry = f"{key.domain}:{key.selector}:{key.private_path}"
    (folder / "keytable").write_text(f"{key.name} {key_entry}\n")
    (folder / "signingtable").write_text(f"*@{key.domain} {key.name}\n")
    (folder / "internalhosts").write_text("127.0.0.1\n")
    path = folder / "opendkim.conf"
    path.write_text(OPENDKIM_CONF.format(port=port, authserv_id=AUTHSERV_ID, root=root, dns=dns))
    return path


def _write_opendmarc(root: Path, port: int, dns: str) -> Path:
    """Judge mail from anywhere but the internal host; its resolver is the test's DNS."""
    folder = root / "opendmarc"
    folder.mkdir(exist_ok=True)
    (folder / "ignorehosts").write_text("127.0.0.1\n")
    (folder / "resolv.conf").write_text(f"nameserver {dns}\noptions timeout:2 attempts:1\n")
    path = folder / "opendmarc.conf"
    path.write_text(OPENDMARC_CONF.format(port=port, authserv_id=AUTHSERV_ID, root=root))
    return path


def _write_postfix(root: Path, port: int, milters: tuple[int, int],
                   routes: dict[str, int]) -> Path:
    """main.cf, master.cf, the transport map, header_checks; the queue and data directories."""
    folder = root / "postfix"
    folder.mkdir()
    (folder / "main.cf").write_text(MAIN_CF.format(
        root=root, authserv_id=AUTHSERV_ID, domain=PROGRAMME_DOMAIN, dkim_port=milters[0],
        dmarc_port=milters[1]))
    (folder / "master.cf").write_text(MASTER_CF.format(port=port))
    (folder / "transport").write_text("".join(f"{domain} smtp:[127.0.0.1]:{to}\n"
                                              for domain, to in routes.items()))
    (folder / "header_checks").write_text(HEADER_CHECKS.format(authserv_id=re.escape(AUTHSERV_ID)))
    (root / "queue").mkdir()
    (root / "data").mkdir()
    shutil.chown(root / "data", "postfix")
    return folder


def _in_own_dns(resolv_conf: Path, argv: list[str]) -> list[str]:
    """argv run in a mount namespace of its own whose /etc/resolv.conf is resolv_conf."""
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    return [str(UNSHARE), "--mount", "--propagation", "private", "sh", "-c", script,
            str(resolv_conf), *argv]


def _start(stack: PostfixStack, name: str, argv: list[str]) -> None:
    errors = open(stack.root / f"{name}.err", "ab")
    stack.processes[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=errors,
                                             stderr=errors)
    errors.close()


def _wait(stack: PostfixStack, name: str, ready) -> None:
    """Until ready() holds; fails at once, with the logs, if the process exited instead."""
    deadline = time.monotonic() + START_TIMEOUT
    process = stack.processes[name]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}\n{stack.logs()}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} was not ready within {START_TIMEOUT}s\n{stack.logs()}")


def _answers_dns(address: str) -> bool:
    query = (b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
             b"\x04ping\x04test\x00\x00\x10\x00\x01")  # TXT? ping.test
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.5)
        probe.sendto(query, (address, 53))
        return probe.recv(512)[:2] == b"\x00\x01"


def _listens(port: int, greeting: bytes = b"") -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        return not greeting or conn.recv(200).startswith(greeting)


def _start_all(stack: PostfixStack, dns: str, ports: dict[str, int]) -> None:
    root = stack.root
    _start(stack, "dnsmasq", [str(DNSMASQ), "--keep-in-foreground",
                              f"--conf-file={root / 'dnsmasq.conf'}"])
    _wait(stack, "dnsmasq", lambda: _answers_dns(dns))
    _start(stack, "opendkim", [str(OPENDKIM), "-f", "-x",
                               str(root / "opendkim" / "opendkim.conf")])
    _wait(stack, "opendkim", lambda: _listens(ports["opendkim"]))
    _start(stack, "opendmarc", _in_own_dns(root / "opendmarc" / "resolv.conf", [
        str(OPENDMARC), "-f", "-c", str(root / "opendmarc" / "opendmarc.conf")]))
    _wait(stack, "opendmarc", lambda: _listens(ports["opendmarc"]))
    config = str(root / "postfix")
    subprocess.run([str(POSTFIX), "-c", config, "check"], check=True, capture_output=True,
                   timeout=60)  # also makes the queue's directories
    _start(stack, "postfix", [str(MASTER), "-c", config, "-d"])
    _wait(stack, "postfix", lambda: _listens(stack.port, b"220"))


def _stop(stack: PostfixStack) -> None:
    """Postfix first (it may still talk to the milters), then the rest together: each milter takes
    seconds to wind down, and waiting for them one by one would add those up."""
    ordered = sorted(stack.processes.items(), key=lambda item: item[0] != "postfix")
    for name, process in ordered:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        if name == "postfix":
            _reap(process)
    for _, process in ordered:
        _reap(process)


def _reap(process: subprocess.Popen) -> None:
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def running_postfix(sink: SmtpSink, receiver_port: int,
                    senders: dict[str, str | None]) -> Iterator[PostfixStack]:
    """Start the stack in a fresh temp dir; stop it and remove every trace afterwards. senders maps
    each sender domain (routed to the sink) to its DMARC record; one with a record also gets a DKIM
    key (selector "test") for the test to sign with, published in the DNS."""
    root = Path(tempfile.mkdtemp(prefix="mailflow-postfix-"))
    root.chmod(0o755)  # Postfix's own processes run as the postfix user
    stack = None
    try:
        stack, dns, ports = _configured(root, sink, receiver_port, senders)
        _start_all(stack, dns, ports)
        yield stack
    finally:
        if stack is not None:
            _stop(stack)
        shutil.rmtree(root, ignore_errors=True)


def _configured(root: Path, sink: SmtpSink, receiver_port: int,
                senders: dict[str, str | None]) -> tuple[PostfixStack, str, dict[str, int]]:
    """Keys made and every configuration file written: the stack, its DNS address, the ports."""
    selectors = {PROGRAMME_DOMAIN: PROGRAMME_SELECTOR}
    selectors.update({domain: SENDER_SELECTOR for domain, policy in senders.items() if policy})
    keys = {domain: make_key(root / "keys" / domain, domain, selector)
            for domain, selector in selectors.items()}
    dmarc = {domain: policy for domain, policy in senders.items() if policy}
    ports = {"postfix": free_port(), "opendkim": free_port(), "opendmarc": free_port()}
    stack = PostfixStack(root, ports["postfix"], receiver_port, sink, keys,
                         _dns_records(keys, dmarc))
    dns = _dns_address()
    sink_port = int(sink.url.rsplit(":", 1)[1])
    _write_dnsmasq(root, dns, stack.dns, {PROGRAMME_DOMAIN, *senders})
    _write_opendkim(root, ports["opendkim"], dns, keys[PROGRAMME_DOMAIN])
    _write_opendmarc(root, ports["opendmarc"], dns)
    _write_postfix(root, stack.port, (ports["opendkim"], ports["opendmarc"]),
                   {PROGRAMME_DOMAIN: receiver_port, **{domain: sink_port for domain in senders}})
    return stack, dns, ports
