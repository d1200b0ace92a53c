/* The socket and event system calls of Linux user mode, through glibc: run with an
 * empty directory (argv[1]) for the AF_UNIX socket files and the copies; every line
 * printed is deterministic (no descriptors' or ports' numbers, no times), so
 * tcgkit's output can be compared with qemu-aarch64's. The forked client of the
 * AF_UNIX server prints nothing: its exit status says how it went. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)16) /* never mapped */

static volatile int sigpipes, alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static void check(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, strerrorname_np(errno));
    else
        printf("%s: %ld\n", what, r);
}

static void got(const char *what, const char *buf, long n)
{
    if (n < 0)
        printf("%s: -1 %s\n", what, strerrorname_np(errno));
    else
        printf("%s: %ld \"%.*s\"\n", what, n, (int)n, buf);
}

static const char *dir;

static socklen_t unix_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (name[0] == '/')
        snprintf(a->sun_path, sizeof a->sun_path, "%s", name);
    else
        snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
    return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

static void stream_pair(void)
{
    int sv[2];
    char buf[64];
    struct stat s;
    check("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    check("  cloexec", fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
    check("  fstat is a socket", fstat(sv[1], &s) == 0 && S_ISSOCK(s.st_mode));
    check("  write", write(sv[0], "ping", 4));
    got("  read", buf, read(sv[1], buf, sizeof buf));
    check("  send", send(sv[1], "pong!", 5, 0));
    got("  recv MSG_PEEK", buf, recv(sv[0], buf, 2, MSG_PEEK));
    got("  recv", buf, recv(sv[0], buf, sizeof buf, 0));
    check("  recv MSG_DONTWAIT on nothing", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
    struct ucred cred;
    socklen_t len = sizeof cred;
    check("  SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len));
    check("  peer is this process", len == sizeof cred && cred.pid == getpid() &&
                                        cred.uid == getuid());
    check("  shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
    check("  read after the peer's shutdown", read(sv[1], buf, sizeof buf));
    check("  socketpair into a bad pointer", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, BAD));
    close(sv[0]);
    close(sv[1]);
}

static void datagrams(void)
{
    int sv[2];
    char buf[64];
    check("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    check("  send one", send(sv[0], "first datagram", 14, 0));
    check("  send two", send(sv[0], "second", 6, 0));
    check("  recv MSG_TRUNC into 5 bytes", recv(sv[1], buf, 5, MSG_TRUNC));
    struct iovec iov = {buf, 3};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    long n = recvmsg(sv[1], &m, 0);
    printf("  recvmsg into 3 bytes: %ld \"%.*s\" MSG_TRUNC %d\n", n, (int)(n < 3 ? n : 3), buf,
           !!(m.msg_flags & MSG_TRUNC));
    struct mmsghdr out[3], in[3];
    struct iovec oiov[3], iiov[3];
    char ibuf[3][16];
    const char *words[3] = {"alpha", "beta", "gamma"};
    memset(out, 0, sizeof out);
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++) {
        oiov[i] = (struct iovec){(void *)words[i], strlen(words[i])};
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
        iiov[i] = (struct iovec){ibuf[i], sizeof ibuf[i]};
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    check("  sendmmsg 2", sendmmsg(sv[0], out, 2, 0));
    printf("  msg_len %u %u\n", out[0].msg_len, out[1].msg_len);
    check("  recvmmsg 3 MSG_DONTWAIT", recvmmsg(sv[1], in, 3, MSG_DONTWAIT, NULL));
    printf("  got \"%.*s\" \"%.*s\"\n", (int)in[0].msg_len, ibuf[0], (int)in[1].msg_len, ibuf[1]);
    check("  sendmsg from a bad msghdr", sendmsg(sv[0], BAD, 0));
    check("  send", send(sv[0], "kept", 4, 0));
    iov = (struct iovec){BAD, 8};
    m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
    check("  recvmsg into a bad iovec", recvmsg(sv[1], &m, 0));
    check("  recvfrom into a bad buffer", recvfrom(sv[1], BAD, 8, 0, NULL, NULL));
    got("  the datagram is still there", buf, recv(sv[1], buf, sizeof buf, 0));
    close(sv[0]);
    close(sv[1]);
}

/* the forked client: connect, say hello, read the answer; exit 0 if it was right */
static int client(const char *name)
{
    struct sockaddr_un a;
    socklen_t len = unix_addr(&a, name);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    char buf[64];
    if (c < 0 || connect(c, (struct sockaddr *)&a, len) != 0)
        return 3;
    if (write(c, "hello from the child", 20) != 20)
        return 4;
    long n = read(c, buf, sizeof buf);
    return n == 6 && memcmp(buf, "hello!", 6) == 0 ? 0 : 5;
}

static void unix_server(void)
{
    struct sockaddr_un a, b;
    socklen_t len = unix_addr(&a, "server.sock"), blen = sizeof b;
    char buf[128];
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    check("unix server socket", srv >= 0);
    check("  bind", bind(srv, (struct sockaddr *)&a, len));
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    check("  bind again", bind(other, (struct sockaddr *)&a, len));
    close(other);
    check("  listen", listen(srv, 4));
    check("  getsockname", getsockname(srv, (struct sockaddr *)&b, &blen));
    check("  the name is the path", blen == len && strcmp(b.sun_path, a.sun_path) == 0);
    blen = 4;
    check("  getsockname into 4 bytes", getsockname(srv, (struct sockaddr *)&b, &blen));
    check("  says the whole length", blen == len);
    check("  getsockname with a bad length", getsockname(srv, (struct sockaddr *)&b, BAD));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(client("server.sock"));
    blen = sizeof b;
    int conn = accept(srv, (struct sockaddr *)&b, &blen);
    check("  accept", conn >= 0);
    check("  the client is unnamed", blen);
    got("  read", buf, read(conn, buf, sizeof buf));
    check("  write", write(conn, "hello!", 6));
    blen = sizeof b;
    check("  getpeername", getpeername(conn, (struct sockaddr *)&b, &blen));
    check("  unnamed", blen);
    int status = -1;
    check("  waitpid", waitpid(pid, &status, 0) == pid);
    check("  the child's exit status", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(conn);

    struct sockaddr_un none;
    len = unix_addr(&none, "nobody.sock");
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("  connect to no socket", connect(c, (struct sockaddr *)&none, len));
    check("  connect from a bad address", connect(c, BAD, len));
    close(c);
    close(srv);

    /* a relative path names a file in the working directory */
    char cwd[4096];
    check("  chdir", chdir(dir));
    srv = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, "rel.sock");
    len = offsetof(struct sockaddr_un, sun_path) + 9;
    check("  bind a relative path", bind(srv, (struct sockaddr *)&a, len));
    check("  listen", listen(srv, 1));
    struct stat s;
    check("  it is in the directory", stat("rel.sock", &s) == 0 && S_ISSOCK(s.st_mode));
    check("  accept4 nonblocking on nothing", accept4(srv, NULL, NULL, SOCK_CLOEXEC));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("  connect to the relative path", connect(c, (struct sockaddr *)&a, len));
    conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    check("  accept4", conn >= 0);
    check("  nonblocking", (fcntl(conn, F_GETFL) & O_NONBLOCK) != 0);
    check("  cloexec", fcntl(conn, F_GETFD));
    check("  accept4 with bad flags", accept4(srv, NULL, NULL, 1));
    close(c);
    close(conn);
    close(srv);
    check("  unlink", unlink("rel.sock") == 0 && unlink("server.sock") == 0);
    check("  cwd", getcwd(cwd, sizeof cwd) != NULL);
}

static int send_fds(int sock, const int *fds, int n)
{
    char data[] = "fd";
    struct iovec iov = {data, 2};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    return sendmsg(sock, &m, 0);
}

static void passing(void)
{
    int sv[2], p[2];
    char buf[64];
    union {
        struct cmsghdr h;
        char buf[256];
    } u;
    check("socketpair for SCM_RIGHTS", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    check("  pipe", pipe(p));
    check("  write into the pipe", write(p[1], "through the passed descriptor", 29));
    check("  sendmsg SCM_RIGHTS", send_fds(sv[0], &p[0], 1));
    close(p[0]);
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    got("  recvmsg", buf, recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    printf("  controllen %zu, level %d type %d len %zu, flags %#x\n", (size_t)m.msg_controllen,
           c ? c->cmsg_level : -1, c ? c->cmsg_type : -1, c ? (size_t)c->cmsg_len : 0,
           m.msg_flags);
    int fd = -1;
    if (c)
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
    check("  cloexec", fcntl(fd, F_GETFD));
    got("  read through it", buf, read(fd, buf, sizeof buf));
    close(fd);

    /* (qemu-user does not set MSG_CTRUNC here, Linux does: not printed) */
    int q[2];
    pipe(q);
    int two[2] = {q[1], q[0]};
    check("  sendmsg two descriptors", send_fds(sv[0], two, 2));
    close(q[1]);
    m.msg_controllen = CMSG_LEN(sizeof(int)); /* room for one */
    got("  recvmsg with room for one", buf, recvmsg(sv[1], &m, 0));
    c = CMSG_FIRSTHDR(&m);
    printf("  controllen %zu, fds %zu\n", (size_t)m.msg_controllen,
           c ? (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0);
    if (c) {
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        check("  write through it", write(fd, "passed write end", 16));
        check("  not cloexec", fcntl(fd, F_GETFD));
        close(fd);
        got("  read from the pipe", buf, read(q[0], buf, sizeof buf));
    }
    close(q[0]);
    int bad = 999;
    check("  sendmsg a bad descriptor", send_fds(sv[0], &bad, 1));

    int on = 1;
    check("  SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    struct ucred cred = {getpid(), getuid(), getgid()};
    struct msghdr s = {.msg_iov = &(struct iovec){"cred", 4}, .msg_iovlen = 1,
                       .msg_control = u.buf, .msg_controllen = CMSG_SPACE(sizeof cred)};
    memset(u.buf, 0, sizeof u.buf);
    c = CMSG_FIRSTHDR(&s);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof cred);
    memcpy(CMSG_DATA(c), &cred, sizeof cred);
    check("  sendmsg SCM_CREDENTIALS", sendmsg(sv[0], &s, 0));
    m.msg_controllen = sizeof u.buf;
    got("  recvmsg", buf, recvmsg(sv[1], &m, 0));
    c = CMSG_FIRSTHDR(&m);
    struct ucred in = {0};
    if (c && c->cmsg_type == SCM_CREDENTIALS)
        memcpy(&in, CMSG_DATA(c), sizeof in);
    check("  the credentials are this process's", in.pid == getpid() && in.uid == getuid() &&
                                                     in.gid == getgid());
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static void options(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0), v = 0;
    socklen_t len = sizeof v;
    v = 65536;
    check("setsockopt SO_RCVBUF 65536", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
    check("  getsockopt", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
    printf("  SO_RCVBUF %d (len %u)\n", v, len);
    v = 1;
    check("setsockopt SO_REUSEADDR", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    v = 0;
    check("  getsockopt", getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len));
    printf("  SO_REUSEADDR %d\n", v);
    check("  SO_TYPE", (getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len), v));
    check("  SO_DOMAIN", (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len), v));
    check("  SO_ERROR", (getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), v));
    check("  getsockopt into a bad pointer", getsockopt(s, SOL_SOCKET, SO_TYPE, BAD, &len));
    check("  setsockopt from a bad pointer", setsockopt(s, SOL_SOCKET, SO_RCVBUF, BAD, 4));
    check("  an unknown option", getsockopt(s, SOL_SOCKET, 9999, &v, &len));
    struct linger l = {1, 5};
    check("  SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l));
    len = sizeof l;
    memset(&l, 0, sizeof l);
    check("  get SO_LINGER", getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len));
    printf("  linger %d %d\n", l.l_onoff, l.l_linger);
    close(s);

    int sv[2];
    char buf[8];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct timeval tv = {0, 30000};
    check("  SO_RCVTIMEO 30 ms", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    check("  recv times out", recv(sv[0], buf, sizeof buf, 0));
    close(sv[0]);
    close(sv[1]);
    s = socket(AF_INET6, SOCK_STREAM, 0);
    check("socket AF_INET6", s >= 0 || errno == EAFNOSUPPORT);
    close(s);
}

static void epipe(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    check("send MSG_NOSIGNAL to a closed peer", send(sv[0], "x", 1, MSG_NOSIGNAL));
    check("  SIGPIPEs", sigpipes);
    check("send to a closed peer", send(sv[0], "x", 1, 0));
    check("  SIGPIPEs", sigpipes);
    check("write to a closed peer", write(sv[0], "x", 1));
    check("  SIGPIPEs", sigpipes);
    close(sv[0]);
}

static void tcp(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in b, peer;
    socklen_t len = sizeof b;
    char buf[64];
    int on = 1;
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    check("tcp server socket", srv >= 0);
    check("  SO_REUSEADDR", setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on));
    check("  bind 127.0.0.1:0", bind(srv, (struct sockaddr *)&a, sizeof a));
    check("  listen", listen(srv, 4));
    check("  getsockname", getsockname(srv, (struct sockaddr *)&a, &len));
    printf("  %s, a port: %d, len %u\n", inet_ntoa(a.sin_addr), a.sin_port != 0, len);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    check("  nonblocking connect", r == 0 || errno == EINPROGRESS);
    struct pollfd pfd = {c, POLLOUT, 0};
    check("  poll for it", poll(&pfd, 1, 5000));
    int err = -1;
    len = sizeof err;
    check("  SO_ERROR", (getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), err));
    len = sizeof peer;
    int conn = accept4(srv, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    check("  accept4", conn >= 0);
    len = sizeof b;
    getsockname(c, (struct sockaddr *)&b, &len);
    printf("  the peer is %s, the client's port: %d\n", inet_ntoa(peer.sin_addr),
           peer.sin_port == b.sin_port);
    len = sizeof b;
    check("  getpeername", getpeername(c, (struct sockaddr *)&b, &len));
    check("  it is the server's port", b.sin_port == a.sin_port);
    check("  TCP_NODELAY", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on));
    int v = 0;
    len = sizeof v;
    check("  get TCP_NODELAY", (getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len), v));
    check("  send", send(c, "over tcp", 8, 0));
    check("  shutdown SHUT_WR", shutdown(c, SHUT_WR));
    long n = 0, k;
    while ((k = recv(conn, buf + n, sizeof buf - n, MSG_WAITALL)) > 0)
        n += k;
    got("  recv until the end", buf, n);
    close(c);
    close(conn);
    close(srv);

    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in ub = ua, from;
    len = sizeof ua;
    bind(u1, (struct sockaddr *)&ua, sizeof ua);
    getsockname(u1, (struct sockaddr *)&ua, &len);
    bind(u2, (struct sockaddr *)&ub, sizeof ub);
    getsockname(u2, (struct sockaddr *)&ub, &len);
    check("udp sendto", sendto(u2, "datagram", 8, 0, (struct sockaddr *)&ua, sizeof ua));
    len = sizeof from;
    got("  recvfrom", buf, recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &len));
    check("  from the sender's port", len == sizeof from && from.sin_port == ub.sin_port);
    check("  sendto a bad address", sendto(u2, "x", 1, 0, BAD, sizeof ua));
    check("  sendto a too long address", sendto(u2, "x", 1, 0, (struct sockaddr *)&ua, 4096));
    close(u1);
    close(u2);
}

static void epolls(void)
{
    int p[2], ep = epoll_create1(EPOLL_CLOEXEC);
    check("epoll_create1", ep >= 0);
    check("  cloexec", fcntl(ep, F_GETFD));
    pipe(p);
    int efd = eventfd(0, EFD_CLOEXEC);
    check("  eventfd", efd >= 0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    check("  add the pipe", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    check("  add it again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    e.data.u64 = 0xdeadbeefcafef00dULL;
    check("  add the eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));
    check("  add from a bad pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], BAD));
    check("  delete one not there", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    struct epoll_event out[4];
    check("  nothing ready", epoll_wait(ep, out, 4, 0));
    write(p[1], "x", 1);
    uint64_t one = 5;
    check("  write the eventfd", write(efd, &one, 8));
    int n = epoll_wait(ep, out, 4, 1000);
    check("  epoll_wait", n);
    if (n == 2 && out[0].data.u64 > out[1].data.u64) {
        struct epoll_event t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
    for (int i = 0; i < n && i < 4; i++)
        printf("    data %#llx events %#x\n", (unsigned long long)out[i].data.u64, out[i].events);
    uint64_t val = 0;
    check("  read the eventfd", read(efd, &val, 8));
    printf("    value %llu\n", (unsigned long long)val);
    e.events = EPOLLIN | EPOLLONESHOT;
    e.data.u64 = 42;
    check("  mod the pipe oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    n = epoll_wait(ep, out, 4, 1000);
    printf("  epoll_wait: %d data %llu\n", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ULL);
    check("  and not again", epoll_wait(ep, out, 4, 0));
    check("  delete the eventfd", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
    struct timespec ts = {0, 20000000};
    /* (qemu-user 7 lacks epoll_pwait2: ENOSYS there) */
    int r2 = epoll_pwait2(ep, out, 4, &ts, NULL);
    check("  epoll_pwait2 20 ms: nothing", r2 == 0 || (r2 < 0 && errno == ENOSYS));
    check("  maxevents 0", epoll_wait(ep, out, 0, 0));
    check("  into a bad pointer", syscall(SYS_epoll_pwait, ep, BAD, 4, 0, NULL, 8));
    check("  on a pipe", epoll_wait(p[0], out, 4, 0));
    char name[4096];
    snprintf(name, sizeof name, "%s/regular", dir);
    int f = open(name, O_CREAT | O_RDWR, 0600);
    e.events = EPOLLIN;
    check("  add a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &e));
    close(f);
    unlink(name);
    check("  eventfd with bad flags", syscall(SYS_eventfd2, 0, 0x10));
    int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    for (int i = 0; i < 4; i++) {
        val = 0;
        long r = read(sem, &val, 8);
        printf("  semaphore read: %ld %llu %s\n", r, (unsigned long long)val,
               r < 0 ? strerrorname_np(errno) : "");
    }
    close(sem);
    close(efd);
    close(p[0]);
    close(p[1]);
    close(ep);
}

static void selects(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 30000};
    check("select on an empty pipe, 30 ms", select(p[0] + 1, &r, NULL, NULL, &tv));
    printf("  timeout left %ld %ld, set %d\n", (long)tv.tv_sec, (long)tv.tv_usec,
           FD_ISSET(p[0], &r));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    tv = (struct timeval){5, 0};
    check("select for both ends", select((p[0] > p[1] ? p[0] : p[1]) + 1, &r, &w, NULL, &tv));
    printf("  readable %d writable %d, time left %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w),
           tv.tv_sec <= 5 && tv.tv_sec >= 0);
    struct timespec ts = {0, 1000000};
    FD_ZERO(&r);
    FD_SET(p[1], &r);
    check("pselect for reading a pipe's write end", pselect(p[1] + 1, &r, NULL, NULL, &ts, NULL));
    int closed = p[1] + 5;
    FD_ZERO(&r);
    FD_SET(closed, &r);
    tv = (struct timeval){0, 0};
    check("select on a closed descriptor", select(closed + 1, &r, NULL, NULL, &tv));
    check("select into a bad pointer", select(p[0] + 1, BAD, NULL, NULL, &tv));
    tv = (struct timeval){0, 10000};
    check("select on nothing, 10 ms", select(0, NULL, NULL, NULL, &tv));
    close(p[0]);
    close(p[1]);
}

static void timers(void)
{
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    check("timerfd_create", t >= 0);
    struct itimerspec its = {{0, 0}, {0, 20000000}}, cur;
    check("  settime 20 ms", timerfd_settime(t, 0, &its, NULL));
    check("  gettime", timerfd_gettime(t, &cur));
    printf("  armed, at most 20 ms: %d\n", cur.it_value.tv_sec == 0 &&
                                              cur.it_value.tv_nsec > 0 &&
                                              cur.it_value.tv_nsec <= 20000000);
    uint64_t n = 0;
    check("  read", read(t, &n, 8));
    printf("  expirations %llu\n", (unsigned long long)n);
    check("  gettime", timerfd_gettime(t, &cur));
    printf("  disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    its = (struct itimerspec){{0, 0}, {now.tv_sec - 1, 0}};
    struct itimerspec old;
    check("  absolute, in the past", timerfd_settime(t, TFD_TIMER_ABSTIME, &its, &old));
    check("  read", read(t, &n, 8));
    printf("  expirations %llu\n", (unsigned long long)n);
    check("  settime from a bad pointer", timerfd_settime(t, 0, BAD, NULL));
    close(t);
    t = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    check("  read a nonblocking disarmed one", read(t, &n, 8));
    close(t);
}

static void copies(void)
{
    char a[4096], b[4096], buf[64];
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    int fa = open(a, O_CREAT | O_RDWR | O_TRUNC, 0600);
    int fb = open(b, O_CREAT | O_RDWR | O_TRUNC, 0600);
    write(fa, "0123456789abcdef", 16);
    loff_t off = 4;
    check("copy_file_range 6 from offset 4", copy_file_range(fa, &off, fb, NULL, 6, 0));
    printf("  offset now %lld\n", (long long)off);
    got("  b.txt", buf, pread(fb, buf, sizeof buf, 0));
    check("  bad flags", copy_file_range(fa, &off, fb, NULL, 6, 1));
    check("  from a bad offset pointer", copy_file_range(fa, BAD, fb, NULL, 6, 0));
    int p[2], q[2];
    pipe(p);
    pipe(q);
    write(p[1], "spliced", 7);
    check("tee", tee(p[0], q[1], 7, 0));
    got("  the copy", buf, read(q[0], buf, sizeof buf));
    loff_t at = 2;
    check("splice into b.txt at 2", splice(p[0], NULL, fb, &at, 7, 0));
    printf("  offset now %lld\n", (long long)at);
    got("  b.txt", buf, pread(fb, buf, sizeof buf, 0));
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(fa);
    close(fb);
    check("unlink", unlink(a) == 0 && unlink(b) == 0);
}

/* argv[2] "signals": a timer's SIGALRM ends each blocking call with EINTR (run it
 * where the host's signals reach the guest: tcgkit run) */
static void arm(void)
{
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void interrupted(const char *what, long r)
{
    printf("%s: %ld %s, alarms %d\n", what, r, r < 0 ? strerrorname_np(errno) : "", alarms);
}

static int signals(void)
{
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    int sv[2], ep = epoll_create1(0);
    char buf[8];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    arm();
    interrupted("recv", recv(sv[0], buf, sizeof buf, 0));
    struct msghdr m = {.msg_iov = &(struct iovec){buf, sizeof buf}, .msg_iovlen = 1};
    arm();
    interrupted("recvmsg", recvmsg(sv[0], &m, 0));
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX}; /* autobind: an abstract name */
    bind(l, (struct sockaddr *)&a, sizeof(sa_family_t));
    listen(l, 1);
    arm();
    interrupted("accept", accept(l, NULL, NULL));
    struct epoll_event e = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e);
    arm();
    interrupted("epoll_wait", epoll_wait(ep, &e, 1, 5000));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(sv[0], &r);
    struct timeval tv = {5, 0};
    arm();
    interrupted("select", select(sv[0] + 1, &r, NULL, NULL, &tv));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    arm();
    interrupted("epoll_wait with SA_RESTART", epoll_wait(ep, &e, 1, 5000));
    write(sv[1], "x", 1);
    arm();
    usleep(100000);
    interrupted("recv after the signal, data there", recv(sv[0], buf, sizeof buf, 0));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: sockets.elf EMPTY-DIRECTORY\n");
        return 2;
    }
    dir = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && strcmp(argv[2], "signals") == 0)
        return signals();
    signal(SIGPIPE, on_sigpipe);
    stream_pair();
    datagrams();
    unix_server();
    passing();
    options();
    epipe();
    tcp();
    epolls();
    selects();
    timers();
    copies();
    printf("done\n");
    return 0;
}
