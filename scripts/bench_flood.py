#!/usr/bin/env python3
"""Benchmark (issue 23, item 2): a flood of connections at the desk of a running daemon.

Runs `target/release/redress run` (or $REDRESS_BIN) under an open-file limit of 1,024
(systemd's default) in the current directory, which must hold a redress.toml with
`[web] listen = "127.0.0.1:0"`; opens 2,000 idle sockets and 200 headers trickled a
line every half second, asks for the sign-in page until it answers, and prints the
daemon's memory, its open files and whether it ever ran out of them.

    mkdir /tmp/flood && cd /tmp/flood && (config: the zero-setup default plus [web])
    python3 /path/to/scripts/bench_flood.py
"""
import os
import subprocess, re, time, socket, resource, urllib.request, urllib.error
resource.setrlimit(resource.RLIMIT_NOFILE,(20000,20000))
log=open("web.log","w")
p=subprocess.Popen(["sh","-c","ulimit -n 1024 && exec '%s' --config redress.toml run" % os.environ.get("REDRESS_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "redress"))],stderr=log,stdout=subprocess.DEVNULL)
addr=None
for _ in range(300):
    m=re.search(r"web desk: http://(127\.0\.0\.1):(\d+)/",open("web.log").read())
    if m: addr=(m.group(1),int(m.group(2))); break
    time.sleep(0.1)
def rss():
    s=open(f"/proc/{p.pid}/status").read()
    g=lambda k: int(re.search(k+r":\s+(\d+)",s).group(1))/1024
    return g("VmRSS"),g("RssAnon")
time.sleep(2)
print("idle daemon with desk: VmRSS %.1f MB (anon %.1f)"%rss())
socks=[]
t0=time.time()
for i in range(2000):
    s=socket.socket(); s.settimeout(0.2)
    try: s.connect(addr); socks.append(s)
    except Exception: s.close()
slow=[]
for i in range(200):
    s=socket.socket(); s.settimeout(0.2)
    try:
        s.connect(addr); s.send(b"GET /sign-in HTTP/1.1\r\nHost: d\r\n"); slow.append(s)
    except Exception: s.close()
print("connected: %d idle, %d slow in %.1f s"%(len(socks),len(slow),time.time()-t0))
peak=(0,0)
t1=time.time(); answered=None; busy=0
while time.time()-t0<40:
    r=rss(); peak=(max(peak[0],r[0]),max(peak[1],r[1]))
    if answered is None:
        try:
            urllib.request.urlopen(f"http://{addr[0]}:{addr[1]}/sign-in",timeout=5).read(); answered=time.time()-t0
        except urllib.error.HTTPError as e:
            if e.code==503: busy+=1
        except Exception as e: pass
    for s in slow:
        try: s.send(b"X-A: b\r\n")
        except Exception: pass
    time.sleep(0.5)
fds=len(__import__("os").listdir(f"/proc/{p.pid}/fd"))
print("sign-in page answered after %.1f s (%d busy answers before); peak VmRSS %.1f MB (anon %.1f); daemon open files at 40 s: %d"%(answered or -1,busy,peak[0],peak[1],fds))
for s in socks+slow: s.close()
time.sleep(5)
print("5 s after the flood: VmRSS %.1f MB (anon %.1f)"%rss())
p.terminate(); p.wait()
print("exit", p.returncode, "too many open files in log:", "Too many open files" in open("web.log").read())
