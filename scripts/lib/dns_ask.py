"""Exit 0 when the DNS server at ADDR PORT answers `. NS` (anything) within 0.3 s: whether it is up.

Usage: dns_ask.py ADDR PORT
"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
s.sendto(bytes.fromhex("abcd01000001000000000000") + b"\x00\x00\x02\x00\x01", (sys.argv[1], int(sys.argv[2])))
s.recv(512)
