"""A QEMU guest for memory hot(un)plug tests, driven from the host.

The guest boots the kernel under test with the host's root filesystem shared
read-only over 9p (harness/guest/init sets up tmpfs for what it writes). Three
channels connect it to the host, all under the VM's run directory:

  console.log   the serial console (ttyS0): everything the kernel prints
  agent.sock    a second serial port (ttyS1) on which the guest runs the
                bash scripts the host sends and streams their output back
  qmp.sock      QEMU's machine protocol: device_add, device_del, events

A VM never outlives the Python process that started it: QEMU gets SIGKILL
when its parent dies (PR_SET_PDEATHSIG), and stop() runs at exit.
"""

import atexit
import base64
import ctypes
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time

from console import KNOWN

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))

GiB = 1 << 30
MiB = 1 << 20

# What a healthy kernel never prints. Checked on the console after each test.
SPLAT = re.compile(
    r"WARNING:|BUG:|Oops|Kernel panic|kernel BUG at|general protection fault"
    r"|possible circular locking|possible recursive locking|inconsistent lock state"
    r"|suspicious RCU usage|INFO: task .* blocked for more than"
    r"|KASAN:|UBSAN:|kmemleak: .*new suspected memory leak|Call Trace:")


# The line the kernel prints once its secondary CPUs are up. Nothing of the
# memory hotplug subsystem runs before it: memory block devices, the ACPI
# memory driver and virtio-mem start later, from do_basic_setup().
SMP_UP = re.compile(r"smp: Brought up \d+ nodes?, \d+ CPUs?")


def early_boot_splats(text):
    """Splat lines of a console printed before SMP_UP: base code only
    (console.KNOWN['early-boot-kasan']). Such a boot says nothing about our
    code; start() boots again once."""
    m = SMP_UP.search(text)
    return [line for line in text[:m.start()].splitlines() if SPLAT.search(line)] if m else []


class VMError(Exception):
    """The guest failed: did not boot, panicked, hung or lost its agent."""


# Bytes of label storage an NVDIMM gets (what QEMU's nvdimm takes as least).
LABEL_SIZE = 128 << 10


def parse_size(text):
    """Bytes in '512M', '1G', '1073741824'."""
    text = str(text).strip()
    units = {"K": 1 << 10, "M": MiB, "G": GiB, "T": 1 << 40}
    if text and text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


def qmp_message(command, **arguments):
    """The bytes of one QMP command: a JSON object and a newline."""
    msg = {"execute": command}
    if arguments:
        msg["arguments"] = arguments
    return json.dumps(msg).encode() + b"\n"


def qmp_split(buf):
    """(the first complete QMP message of buf as a dict, the rest of buf),
    or (None, buf) while no line is complete."""
    if b"\n" not in buf:
        return None, buf
    line, _, rest = buf.partition(b"\n")
    return json.loads(line), rest


def qmp_reply(reply, command, events):
    """What one message read after command means: an event is appended to
    events (None: keep reading), an error raises VMError, a return is the
    result, wrapped in a 1-tuple (a result may itself be None or empty)."""
    if "event" in reply:
        events.append(reply)
    elif "error" in reply:
        raise VMError(f"QMP {command}: {reply['error'].get('desc')}")
    elif "return" in reply:
        return (reply["return"],)
    return None


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def default_accel(image):
    """'kvm' if a trial boot under KVM reaches the kernel's first message on
    this machine, else 'tcg'. The answer is kept in build/accel (delete it
    to try again); ACCEL=kvm|tcg in the environment overrides it."""
    if os.environ.get("ACCEL"):
        return os.environ["ACCEL"]
    cache = os.path.join(BUILD, "accel")
    try:
        with open(cache) as f:
            return f.read().strip()
    except FileNotFoundError:
        pass
    accel = "tcg"
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        log = os.path.join(BUILD, "logs", "kvm-trial.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "w") as out:
            p = subprocess.Popen(
                ["qemu-system-x86_64", "-machine", "pc,accel=kvm", "-cpu", "host",
                 "-m", "256", "-nographic", "-nodefaults", "-no-reboot",
                 "-kernel", image, "-append", "console=ttyS0 panic=-1",
                 "-serial", "stdio"], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and p.poll() is None:
                with open(log, errors="replace") as f:
                    if "Linux version" in f.read():
                        accel = "kvm"
                        break
                time.sleep(0.5)
            p.kill()
            p.wait()
        print(f"harness: trial boot under KVM {'worked' if accel == 'kvm' else 'failed'}"
              f" ({log}): using {accel}", flush=True)
    with open(cache, "w") as f:
        f.write(accel + "\n")
    return accel


def kernel_paths(kernel):
    """(bzImage, modules dir) of a built variant such as 'ours'."""
    out = os.path.join(BUILD, "kernel", kernel)
    image = os.path.join(out, "arch/x86/boot/bzImage")
    if not os.path.exists(image):
        raise VMError(f"no kernel at {image}: run make kernel KERNEL={kernel}")
    return image, os.path.join(out, "modroot/lib/modules")


def host_memory():
    """This host's RAM in bytes."""
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1]) * 1024


class VM:
    """One guest. Keyword arguments shape the machine:

    kernel     build variant under build/kernel ('ours', 'upstream', ...)
    mem        boot memory ('2G'); slots/maxmem bound what can be plugged
    smp        vCPUs at boot
    maxcpus    vCPUs possible (plug more with add_cpu()); default smp
    numa       list of boot memory per node, e.g. ['2G', 0] makes node 1
               memoryless (CPUs all on node 0); None for no NUMA options
    numa_cpus  {node: 'first-last'} CPU ids of nodes other than 0 (node 0
               has the boot CPUs), e.g. {1: '1'} for a CPU slot on node 1
    cpu_devices  vCPUs present at boot as hot-removable devices, one
               socket each after the smp ones: a list of their nodes; ids
               are boot-cpu0, boot-cpu1, ... (remove with remove_device).
               A kernel counts only these (not empty slots) as possible
               CPUs under TCG, where it sees no hypervisor. QEMU 7.2's TCG
               has one context per maxcpus and does not reuse the one of an
               unplugged vCPU: leave a spare slot for each plug after an
               unplug
    virtio_mem list of dicts {id, size, node, requested} present at boot
               (add_virtio_mem() plugs one later)
    dimms      pc-dimms present at boot: sizes, or (size, node) pairs; ids
               are boot-dimm0, boot-dimm1, ... (removable with remove_dimm)
    nvdimms    NVDIMMs present at boot: sizes, or (size, node) pairs; ids
               are nvdimm0, ...; the machine gets nvdimm=on, the guest an
               ACPI NFIT region of that size per NVDIMM, whose 128 KiB label
               area (beyond that size) lets ndctl create namespaces
    disks      sizes of virtio-blk disks present at boot, sparse raw files
               in the run directory, made empty at each start (/dev/vda,
               /dev/vdb, ... in the guest)
    append     extra kernel command line
    udev       start systemd-udevd; udev_rules also loads our rule
    name       run directory name under build/run
    """

    def __init__(self, kernel="ours", mem="2G", slots=16, maxmem="64G", smp=2,
                 maxcpus=None, numa=None, numa_cpus=None, cpu_devices=(), virtio_mem=(),
                 dimms=(), nvdimms=(), disks=(), append="", udev=False,
                 udev_rules=False, name="vm", boot_timeout=None, accel=None):
        self.kernel = kernel
        self.mem = parse_size(mem)
        self.slots = slots
        self.maxmem = parse_size(maxmem)
        self.smp = smp
        self.maxcpus = maxcpus
        self.numa = numa
        self.numa_cpus = numa_cpus or {}
        self.cpu_devices = list(cpu_devices)
        self.virtio_mem = list(virtio_mem)
        self.boot_dimms = list(dimms)
        self.nvdimms = list(nvdimms)
        self.disks = list(disks)
        self.append = append
        self.udev = udev
        self.udev_rules = udev_rules
        # KASAN and lockdep under TCG boot ~25 times slower, more on a
        # loaded machine.
        self.boot_timeout = boot_timeout or (900 if "debug" in kernel else 300)
        self.accel = accel
        self.rundir = os.path.join(BUILD, "run", name)
        self.proc = None
        self.qmp_sock = None
        self.agent_sock = None
        self._qmp_buf = b""
        self._agent_buf = b""
        self.events = []
        self._console_pos = 0
        self._ids = 0
        self.boot_seconds = None
        self.early_splats = []   # of a boot thrown away, see early_boot_splats()

    # ---- life cycle -----------------------------------------------------

    def command_line(self):
        image, modules = kernel_paths(self.kernel)
        self.accel = self.accel or default_accel(image)
        cmdline = ["console=ttyS0", "panic=-1", "loglevel=7",
                   "root=hostroot", "rootfstype=9p",
                   "rootflags=trans=virtio,version=9p2000.L,cache=loose,msize=262144",
                   "ro", f"init={TOP}/harness/guest/init",
                   f"harness.modules={modules}",
                   f"harness.keep={TOP},{BUILD}"]
        if self.udev:
            cmdline.append("harness.udev=1")
        if self.udev_rules:
            cmdline.append(f"harness.rules={TOP}/udev")
        if "debug" in self.kernel:
            # KASAN, kmemleak and lockdep under TCG: ACPI's AML at boot has
            # been seen to starve RCU past the default 21 s stall warning.
            cmdline.append("rcupdate.rcu_cpu_stall_timeout=120")
            # console.KNOWN['acpica-prt-loop-timeout']: acpi=noirq routes
            # PCI interrupts by the BIOS's $PIR table; ACPI itself (SCI,
            # hotplug events, PNP0C80) is unchanged.
            cmdline.append("acpi=noirq")
        if self.append:
            cmdline.append(self.append)
        args = ["qemu-system-x86_64", "-machine", "pc", "-accel", self.accel,
                "-cpu", self.cpu_model(),
                # One socket per vCPU, so that socket-id numbers the slots.
                "-smp", f"{self.smp}" + (f",maxcpus={self.maxcpus},sockets={self.maxcpus},"
                                         "cores=1,threads=1" if self.maxcpus else ""),
                "-m", f"{self.mem >> 20}M,slots={self.slots},maxmem={self.maxmem >> 20}M",
                "-nographic", "-nodefaults", "-no-reboot",
                "-kernel", image, "-append", " ".join(cmdline),
                "-chardev", f"file,id=con,path={self.rundir}/console.log",
                "-serial", "chardev:con",
                "-chardev", f"socket,id=agent,path={self.rundir}/agent.sock,server=on,wait=off",
                "-serial", "chardev:agent",
                "-qmp", f"unix:{self.rundir}/qmp.sock,server=on,wait=off",
                "-fsdev", "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap",
                "-device", "virtio-9p-pci,fsdev=root,mount_tag=hostroot",
                "-pidfile", f"{self.rundir}/qemu.pid"]
        if not self.numa and self.mem > host_memory() // 2:
            # A guest bigger than this host (the 64G boot of make bench):
            # QEMU's default backend reserves all of it up front and the
            # host refuses; without the reservation only what the guest
            # touches is allocated.
            args[2] += ",memory-backend=ram"
            args += ["-object", f"memory-backend-ram,id=ram,size={self.mem},reserve=off"]
        if self.numa:
            for node, size in enumerate(self.numa):
                size = parse_size(size)
                opts = f"node,nodeid={node}"
                if size:
                    args += ["-object", f"memory-backend-ram,id=ram{node},size={size}"]
                    opts += f",memdev=ram{node}"
                if node == 0:
                    opts += f",cpus=0-{self.smp - 1}"
                elif node in self.numa_cpus:
                    opts += f",cpus={self.numa_cpus[node]}"
                args += ["-numa", opts]
        for i, node in enumerate(self.cpu_devices):
            args += ["-device", f"{self.cpu_model()}-x86_64-cpu,id=boot-cpu{i},socket-id={self.smp + i},"
                     f"core-id=0,thread-id=0,node-id={node}"]
        for i, dimm in enumerate(self.boot_dimms):
            size, node = dimm if isinstance(dimm, (tuple, list)) else (dimm, None)
            args += ["-object", f"memory-backend-ram,id=mem-boot-dimm{i},size={parse_size(size)}",
                     "-device", f"pc-dimm,id=boot-dimm{i},memdev=mem-boot-dimm{i}"
                     + (f",node={node}" if node is not None else "")]
        if self.nvdimms:
            args[2] += ",nvdimm=on"
        for i, nvdimm in enumerate(self.nvdimms):
            size, node = nvdimm if isinstance(nvdimm, (tuple, list)) else (nvdimm, None)
            # The label area comes off the end of the backend: add it, so
            # that the region is the size asked for (and stays aligned).
            size = parse_size(size) + LABEL_SIZE
            args += ["-object", f"memory-backend-ram,id=mem-nvdimm{i},size={size}",
                     "-device", f"nvdimm,id=nvdimm{i},memdev=mem-nvdimm{i},label-size={LABEL_SIZE}"
                     + (f",node={node}" if node is not None else "")]
        for i, size in enumerate(self.disks):
            path = os.path.join(self.rundir, f"disk{i}.raw")
            args += ["-drive", f"file={path},if=none,id=disk{i},format=raw",
                     "-device", f"virtio-blk-pci,drive=disk{i}"]
        for dev in self.virtio_mem:
            size = parse_size(dev["size"])
            args += ["-object", f"memory-backend-ram,id=mem-{dev['id']},size={size}",
                     "-device", f"virtio-mem-pci,id={dev['id']},memdev=mem-{dev['id']},"
                     f"node={dev.get('node', 0)},"
                     f"requested-size={parse_size(dev.get('requested', 0))}"]
        return args

    def cpu_model(self):
        return "max" if self.accel == "tcg" else "host"

    def start(self):
        """Boot and wait for the guest's agent; raise VMError on failure.

        A boot whose console shows a splat before the secondary CPUs are up
        is thrown away (its console kept as console.early-splat.log, its
        splat lines in early_splats) and the guest boots again, once.
        """
        self._boot()
        self.early_splats = (early_boot_splats(self.console())
                             if KNOWN["early-boot-kasan"].applies(self.kernel) else [])
        if self.early_splats:
            self.stop()
            os.replace(os.path.join(self.rundir, "console.log"),
                       os.path.join(self.rundir, "console.early-splat.log"))
            self._boot()
        return self

    def _boot(self):
        os.makedirs(self.rundir, exist_ok=True)
        self._qmp_buf = self._agent_buf = b""
        self.events = []
        for f in ("console.log", "agent.sock", "qmp.sock", "qemu.pid"):
            try:
                os.unlink(os.path.join(self.rundir, f))
            except FileNotFoundError:
                pass
        for i, size in enumerate(self.disks):
            with open(os.path.join(self.rundir, f"disk{i}.raw"), "wb") as f:
                f.truncate(parse_size(size))
        args = self.command_line()
        with open(os.path.join(self.rundir, "qemu.cmd"), "w") as f:
            f.write(" ".join(args) + "\n")
        start = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.rundir, "qemu.log"), "w"),
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        atexit.register(self.stop)
        try:
            self.qmp_sock = self._connect("qmp.sock")
            self._qmp_read()  # greeting
            self.qmp("qmp_capabilities")
            self.agent_sock = self._connect("agent.sock")
            self._agent_until(b"HARNESS-AGENT-READY\n", self.boot_timeout, "boot")
        except VMError:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - start
        self._console_pos = 0

    def _connect(self, name):
        path = os.path.join(self.rundir, name)
        deadline = time.monotonic() + 30
        while True:
            self._check_alive("start")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() > deadline:
                    raise VMError(f"QEMU did not open {path}: see {self.rundir}/qemu.log")
                time.sleep(0.05)

    def stop(self):
        """Kill QEMU (if still there) and close the channels."""
        for s in (self.qmp_sock, self.agent_sock):
            if s:
                s.close()
        self.qmp_sock = self.agent_sock = None
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        atexit.unregister(self.stop)

    def poweroff(self, timeout=10):
        """Power the guest off with sysrq 'o' (nothing in the guest handles
        ACPI's power button); kill QEMU if it has not exited by timeout."""
        if self.alive() and self.agent_sock:
            script = base64.b64encode(b"echo o > /proc/sysrq-trigger").decode()
            try:
                self.agent_sock.sendall(f"HARNESS-poweroff {script}\n".encode())
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _check_alive(self, what):
        if self.proc.poll() is not None:
            raise VMError(f"QEMU exited (status {self.proc.returncode}) during {what}:\n"
                          + self.console_tail())

    # ---- console --------------------------------------------------------

    def console(self):
        """The whole console so far."""
        try:
            with open(os.path.join(self.rundir, "console.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def console_tail(self, lines=40):
        tail = self.console().splitlines()[-lines:]
        return "\n".join("    | " + line for line in tail) + \
            f"\n    (whole console: {self.rundir}/console.log)"

    def new_console(self):
        """Console text printed since the previous call."""
        text = self.console()
        new, self._console_pos = text[self._console_pos:], len(text)
        return new

    def splats(self, text=None):
        """Console lines since the last check that a healthy kernel never prints."""
        text = self.new_console() if text is None else text
        return [line for line in text.splitlines() if SPLAT.search(line)]

    def _recv(self, sock, deadline, what, late):
        """What sock has within a second (b"" if nothing); VMError (with
        the console tail) once deadline passes, QEMU exits or sock closes."""
        self._check_alive(what)
        left = deadline - time.monotonic()
        if left <= 0:
            raise VMError(f"{late}; console:\n" + self.console_tail())
        sock.settimeout(min(left, 1.0))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return b""
        if not data:
            raise VMError(f"channel closed during {what}:\n" + self.console_tail())
        return data

    # ---- the guest agent ------------------------------------------------

    def _agent_until(self, marker, timeout, what, sink=None):
        """Read the agent port until marker; return what came before it."""
        deadline = time.monotonic() + timeout
        while marker not in self._agent_buf:
            self._agent_buf += self._recv(self.agent_sock, deadline, what,
                                          f"guest did not finish {what} in {timeout} s")
            if sink and marker not in self._agent_buf:
                # Pass on all but the last newline: it may start the marker.
                done, nl, rest = self._agent_buf.rpartition(b"\n")
                if done:
                    sink(done.decode(errors="replace"))
                    self._agent_buf = nl + rest
        out, _, self._agent_buf = self._agent_buf.partition(marker)
        return out.decode(errors="replace")

    def run(self, script, timeout=120, sink=None):
        """Run a bash script in the guest; return (exit status, output).

        sink, if given, receives the output line by line as it arrives (and
        the returned output then holds only what was not yet passed on).
        """
        token = "HARNESS-" + secrets.token_hex(8)
        line = token + " " + base64.b64encode(script.encode()).decode() + "\n"
        self.agent_sock.sendall(line.encode())
        out = self._agent_until(f"\n{token} rc=".encode(), timeout,
                                f"'{script.strip().splitlines()[0][:60]}'", sink)
        rc = self._agent_until(b"\n", 10, "exit status")
        return int(rc), out

    def sh(self, script, timeout=120):
        """Run a script that must succeed; return its output."""
        rc, out = self.run(script, timeout)
        if rc != 0:
            raise VMError(f"guest command failed with {rc}: {script}\n{out}")
        return out

    def read(self, path):
        """A guest file's contents, stripped ('' if it cannot be read)."""
        rc, out = self.run(f"cat {path}")
        return out.strip() if rc == 0 else ""

    def write(self, path, value):
        """Write value to a guest file as 'echo' would; return (rc, message)."""
        rc, out = self.run(f"echo {value} > {path}")
        return rc, out.strip()

    # ---- QMP ------------------------------------------------------------

    def _qmp_read(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            msg, self._qmp_buf = qmp_split(self._qmp_buf)
            if msg is not None:
                return msg
            self._qmp_buf += self._recv(self.qmp_sock, deadline, "QMP",
                                        "QEMU did not answer on QMP")

    def qmp(self, command, **arguments):
        """Execute a QMP command; return its result or raise VMError."""
        self.qmp_sock.sendall(qmp_message(command, **arguments))
        while True:
            result = qmp_reply(self._qmp_read(), command, self.events)
            if result is not None:
                return result[0]

    def wait_event(self, name, timeout=60, **data):
        """Wait for a QMP event whose data has the given items; return it or None."""
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev["event"] == name and all(ev.get("data", {}).get(k) == v
                                               for k, v in data.items()):
                    self.events.remove(ev)
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self.events.append(self._qmp_read(left))
            except VMError:
                if not self.alive():
                    raise
                return None

    # ---- memory devices -------------------------------------------------

    def _new_id(self, prefix):
        self._ids += 1
        return f"{prefix}{self._ids}"

    def _plug(self, driver, dev_id, size, reserve=True, **props):
        """A RAM backend of size bytes and a driver device on it; the
        backend goes again if QEMU refuses the device. reserve=False maps
        the backend MAP_NORESERVE: a DIMM larger than this host's memory
        can be plugged as long as the guest does not fill it."""
        backend = {"qom-type": "memory-backend-ram", "id": f"mem-{dev_id}",
                   "size": parse_size(size)}
        if not reserve:
            backend["reserve"] = False
        self.qmp("object-add", **backend)
        try:
            self.qmp("device_add", driver=driver, id=dev_id, memdev=f"mem-{dev_id}", **props)
        except VMError:
            self.qmp("object-del", id=f"mem-{dev_id}")
            raise
        return dev_id

    def add_dimm(self, size="1G", node=None, dev_id=None, reserve=True):
        """Plug a pc-dimm of size bytes (on node); return its id."""
        props = {} if node is None else {"node": node}
        return self._plug("pc-dimm", dev_id or self._new_id("dimm"), size, reserve, **props)

    def remove_device(self, dev_id, timeout=120):
        """device_del: True once QEMU reports DEVICE_DELETED, False if the
        guest refused or did not finish within timeout."""
        self.qmp("device_del", id=dev_id)
        return self.wait_event("DEVICE_DELETED", timeout, device=dev_id) is not None

    def remove_dimm(self, dev_id, timeout=120):
        """Unplug a pc-dimm and drop its RAM backend (remove_device())."""
        if not self.remove_device(dev_id, timeout):
            return False
        self.qmp("object-del", id=f"mem-{dev_id}")
        return True

    def dimms(self):
        """{id: {addr, size, node}} of the plugged pc-dimms."""
        out = {}
        for dev in self.qmp("query-memory-devices"):
            d = dev.get("data", {})
            if dev.get("type") == "dimm":
                out[d.get("id")] = {"addr": d["addr"], "size": d["size"], "node": d["node"]}
        return out

    def add_virtio_mem(self, size="8G", node=0, requested=0, dev_id=None, reserve=True):
        """Hot-plug a virtio-mem-pci device able to provide size bytes to
        node, asking for requested bytes at first; return its id.
        reserve=False as for add_dimm()."""
        return self._plug("virtio-mem-pci", dev_id or self._new_id("vmem"), size, reserve,
                          node=node, **{"requested-size": parse_size(requested)})

    def virtio_mem_size(self, dev_id, requested=None, timeout=120):
        """Set a virtio-mem device's requested-size (if given) and wait until
        the guest has plugged that much; return the plugged size."""
        path = f"/machine/peripheral/{dev_id}"
        if requested is not None:
            self.qmp("qom-set", path=path, property="requested-size",
                     value=parse_size(requested))
            deadline = time.monotonic() + timeout
            while (self.qmp("qom-get", path=path, property="size")
                   != parse_size(requested) and time.monotonic() < deadline):
                time.sleep(0.2)
        return self.qmp("qom-get", path=path, property="size")
