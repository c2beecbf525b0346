"""The project's own generator of mailing-list archives: threads with reply trees, References,
quoted text, patches, non-ASCII names and subjects. Deterministic for a seed.

Used by `seed_demo` (a small archive for each demo list) and by bench_lists for archives of any
size; `python -m bench.mailgen N OUT.mbox [--seed S] [--list NAME]` writes an mboxrd file.
"""

from __future__ import annotations

import datetime
import email.header
import email.utils
import hashlib
import random
import sys
from collections.abc import Iterator

TOPICS = {
    "estuary-dev": [
        "D05 fails to boot with ACPI enabled",
        "hns: fix xge link state after reset",
        "UEFI: update the D03 flash layout",
        "Kernel 4.9 rebase for HiKey",
        "GRUB: load the device tree from the ESP",
        "SMMU faults on D05 under PCIe load",
        "Build: toolchain upgrade to GCC 6.3",
        "CentOS image misses the sas driver",
        "NUMA distances on hip07",
        "PXE boot times out on the second port",
    ],
    "estuary-announce": [
        "Estuary 5.0 released",
        "Estuary 3.1 released",
        "Mirror maintenance this weekend",
        "New board support: D06 preview",
        "Estuary 5.1 release candidate",
    ],
    "estuary-users": [
        "How to flash UEFI on a D03?",
        "Ubuntu install hangs at partitioning",
        "Which rootfs for HiKey 960?",
        "Serial console settings for D05",
        "NFS root with Estuary images",
        "Debian image: no network after reboot",
        "关于 D05 的启动问题",
        "QEMU command line for the ARM64 image",
    ],
}
WORDS = [
    "board", "firmware", "kernel", "boot", "uefi", "grub", "image", "rootfs", "serial", "console",
    "patch", "driver", "build", "release", "network", "device", "tree", "flash", "memory", "numa",
    "pcie", "ethernet", "reset", "clock", "test", "log", "works", "fails", "again", "tried",
    "version", "update", "config", "option", "module", "install", "partition", "mirror",
]  # fmt: skip
PEOPLE = [
    ("Wei Zhang", "wei.zhang"), ("Li Na", "li.na"), ("Hanjun Guo", "hanjun.guo"),
    ("Zhou Wang", "zhou.wang"), ("Chen Feng", "chen.feng"), ("Jürgen Groß", "juergen"),
    ("Ying Huang", "ying.huang"), ("王芳", "wang.fang"), ("Mark Rutland", "mark.rutland"),
]  # fmt: skip
PATCH = """---
 drivers/net/ethernet/hisilicon/hns/hns_enet.c | 4 ++--
 1 file changed, 2 insertions(+), 2 deletions(-)

diff --git a/drivers/net/ethernet/hisilicon/hns/hns_enet.c b/drivers/net/ethernet/hisilicon/hns/\
hns_enet.c
--- a/drivers/net/ethernet/hisilicon/hns/hns_enet.c
+++ b/drivers/net/ethernet/hisilicon/hns/hns_enet.c
@@ -1210,7 +1210,7 @@ static void hns_nic_adjust_link(struct net_device *ndev)
-\tif (h->dev->ops->need_adjust_link(h, ndev->phydev->speed))
+\tif (ndev->phydev && h->dev->ops->need_adjust_link(h, ndev->phydev->speed))
 \t\th->dev->ops->adjust_link(h, ndev->phydev->speed, ndev->phydev->duplex);
"""


def _sentence(r: random.Random, n: int) -> str:
    return " ".join(r.choice(WORDS) for _ in range(n)).capitalize() + "."


def _body(r: random.Random, quoted: str, patch: bool) -> str:
    lines = []
    if quoted:
        lines.append("On a good day, someone wrote:")
        lines += ["> " + line if line else ">" for line in quoted.splitlines()[:8]]
        lines.append("")
    for _ in range(r.randint(1, 3)):
        lines += [_sentence(r, r.randint(6, 24)), ""]
    if patch:
        lines.append(PATCH)
    return "\n".join(lines)


def generate(
    count: int,
    *,
    seed: int = 1,
    list_name: str = "estuary-dev",
    domain: str = "lists.estuary.example",
    thread_sizes: tuple[int, ...] = (1, 2, 3, 4, 6, 9, 14, 20),
    busy: bool = False,
) -> Iterator[tuple[str, bytes]]:
    """(From line, message bytes) for `count` messages, in threads of the sizes given. A busy
    list gets mail every hour or so (100,000 messages span about ten years, not a century)."""
    thread_gap_hours, message_gap_minutes = ((0, 2), (5, 90)) if busy else ((2, 96), (5, 900))
    r = random.Random(seed)
    topics = TOPICS.get(list_name, TOPICS["estuary-dev"])
    when = datetime.datetime(2016, 3, 1, 9, 0, tzinfo=datetime.UTC)
    made = 0
    while made < count:
        size = min(count - made, r.choice(thread_sizes))
        subject = r.choice(topics)
        patch_thread = list_name == "estuary-dev" and r.random() < 0.3
        if patch_thread:
            subject = f"[PATCH] {subject}"
        thread: list[tuple[str, list[str], str]] = []
        when += datetime.timedelta(hours=r.randint(*thread_gap_hours))
        for i in range(size):
            parent = r.randrange(len(thread)) if thread else None
            references = (thread[parent][1] + [thread[parent][0]]) if parent is not None else []
            digest = hashlib.sha256(f"{list_name}-{seed}-{made}".encode()).hexdigest()[:16]
            message_id = f"{digest}@{domain}"
            text = _body(
                r, thread[parent][2] if parent is not None else "", patch_thread and i == 0
            )
            name, local = r.choice(PEOPLE)
            when += datetime.timedelta(minutes=r.randint(*message_gap_minutes))
            headers = [
                "From: " + email.utils.formataddr((name, f"{local}@example.org"), "utf-8"),
                f"To: {list_name}@{domain}",
                "Subject: "
                + email.header.Header(("Re: " if references else "") + subject, "utf-8").encode(),
                "Date: " + email.utils.format_datetime(when),
                f"Message-ID: <{message_id}>",
            ]
            if references:
                headers.append(f"In-Reply-To: <{references[-1]}>")
                headers.append("References: " + " ".join(f"<{ref}>" for ref in references[-10:]))
            headers += [
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
                f"List-Id: <{list_name}.{domain}>",
            ]
            envelope = f"From {local}@example.org {when:%a %b %d %H:%M:%S %Y}"
            raw = ("\n".join(headers) + "\n\n" + text + "\n").encode("utf-8")
            yield envelope, raw
            thread.append((message_id, references, text))
            made += 1


def write_mbox(path: str, count: int, *, seed: int = 1, list_name: str = "estuary-dev") -> int:
    from lists.mailboxes import mboxrd_entry

    with open(path, "wb") as out:
        for envelope, raw in generate(count, seed=seed, list_name=list_name):
            out.write(mboxrd_entry(envelope.encode() + b"\n", raw))
    return count


if __name__ == "__main__":
    args = sys.argv[1:]
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    name = args[args.index("--list") + 1] if "--list" in args else "estuary-dev"
    write_mbox(args[1], int(args[0]), seed=seed, list_name=name)
