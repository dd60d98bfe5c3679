"""A dead name server: reads every UDP datagram sent to 127.0.0.1:PORT and never answers.

Usage: dead_server.py PORT
"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(4096)
