/* The file system calls of Linux user mode, through glibc: run in an empty directory
 * (argv[1]); every line printed is deterministic (no inode numbers, times or paths
 * outside that directory), so tcgkit's output can be compared with qemu-aarch64's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

static void check(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, strerrorname_np(errno));
    else
        printf("%s: %ld\n", what, r);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < 64)
        names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    printf("listing of %s:", dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) != 0) {
        printf("usage: files.elf EMPTY-DIRECTORY\n");
        return 2;
    }
    char cwd[4096];
    check("getcwd is the directory", getcwd(cwd, sizeof cwd) && strstr(cwd, argv[1]) ? 1 : -1);
    umask(022);

    /* create, write, read back, seek, positional and vector I/O */
    int fd = open("a.txt", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
    check("open a.txt", fd >= 0 ? 3 : -1);
    check("open a.txt again with O_EXCL", open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0666));
    check("write", write(fd, "hello, files\n", 13));
    check("lseek to 7", lseek(fd, 7, SEEK_SET));
    char buf[64] = {0};
    check("read", read(fd, buf, sizeof buf - 1));
    printf("read back: %s", buf);
    check("pwrite at 0", pwrite(fd, "HELLO", 5, 0));
    memset(buf, 0, sizeof buf);
    check("pread at 0", pread(fd, buf, 12, 0));
    printf("pread: %s\n", buf);
    struct iovec iov[2] = {{"vec", 3}, {"tor\n", 4}};
    check("lseek to the end", lseek(fd, 0, SEEK_END));
    check("writev", writev(fd, iov, 2));
    check("fcntl F_GETFD", fcntl(fd, F_GETFD));
    check("fcntl F_GETFL & O_ACCMODE", fcntl(fd, F_GETFL) & O_ACCMODE);

    /* metadata */
    struct stat s;
    check("fstat", fstat(fd, &s));
    printf("size %ld, regular %d, mode %o\n", (long)s.st_size, S_ISREG(s.st_mode),
           s.st_mode & 0777);
    check("ftruncate to 5", ftruncate(fd, 5));
    check("stat", stat("a.txt", &s));
    printf("size now %ld\n", (long)s.st_size);
    check("chmod 600", chmod("a.txt", 0600));
    check("stat", stat("a.txt", &s));
    printf("mode now %o\n", s.st_mode & 0777);
    struct timeval tv[2] = {{1000000000, 0}, {1234567890, 500000}};
    check("utimes", utimes("a.txt", tv));
    check("stat", stat("a.txt", &s));
    printf("mtime %ld\n", (long)s.st_mtime);
    check("access R_OK", access("a.txt", R_OK));
    check("access missing", access("missing", F_OK));
    check("stat missing", stat("missing", &s));
    check("close", close(fd));
    check("close again", close(fd));

    /* directories, links, renames */
    check("mkdir sub", mkdir("sub", 0755));
    check("mkdir sub again", mkdir("sub", 0755));
    check("rename a.txt sub/b.txt", rename("a.txt", "sub/b.txt"));
    check("link", link("sub/b.txt", "sub/c.txt"));
    check("symlink", symlink("b.txt", "sub/d.txt"));
    char target[64] = {0};
    check("readlink", readlink("sub/d.txt", target, sizeof target - 1));
    printf("link target: %s\n", target);
    check("lstat is a link", lstat("sub/d.txt", &s) == 0 && S_ISLNK(s.st_mode) ? 1 : 0);
    check("stat follows it", stat("sub/d.txt", &s) == 0 && S_ISREG(s.st_mode) ? 1 : 0);
    check("nlink of b.txt", stat("sub/b.txt", &s) == 0 ? (long)s.st_nlink : -1);
    list("sub");
    check("chdir sub", chdir("sub"));
    fd = open("c.txt", O_RDONLY);
    memset(buf, 0, sizeof buf);
    check("read through the hard link", read(fd, buf, sizeof buf - 1));
    printf("content: %s\n", buf);
    check("chdir ..", chdir(".."));

    /* descriptors: dup, dup2, pipes, poll */
    int d = dup(fd);
    check("dup is the lowest free", d == fd + 1 ? 1 : 0);
    check("dup2 onto 10", dup2(fd, 10));
    check("lseek through the dup", lseek(10, 1, SEEK_SET));
    check("position shared", lseek(fd, 0, SEEK_CUR));
    close(d);
    close(10);
    close(fd);
    int p[2];
    check("pipe2", pipe2(p, O_CLOEXEC));
    check("write to the pipe", write(p[1], "through a pipe\n", 15));
    struct pollfd pfd = {p[0], POLLIN, 0};
    check("poll", poll(&pfd, 1, 1000));
    printf("revents POLLIN %d\n", (pfd.revents & POLLIN) != 0);
    memset(buf, 0, sizeof buf);
    check("read from the pipe", read(p[0], buf, sizeof buf - 1));
    printf("pipe said: %s", buf);
    close(p[1]);
    check("read at EOF", read(p[0], buf, sizeof buf));
    close(p[0]);
    check("fstat of a pipe", fstat(p[0], &s));

    /* bad pointers and descriptors: errors, never a crash */
    check("write from a bad pointer", syscall(SYS_write, 1, (void *)8, 10));
    check("read into a bad pointer", syscall(SYS_read, 0, (void *)8, 10));
    check("open a bad path pointer", syscall(SYS_openat, AT_FDCWD, (void *)8, O_RDONLY));
    check("read from fd 99", read(99, buf, 1));
    struct statfs sf;
    check("statfs", statfs(".", &sf) == 0 && sf.f_bsize > 0 ? 1 : 0);

    /* clean up */
    check("unlink sub/b.txt", unlink("sub/b.txt"));
    check("unlink sub/c.txt", unlink("sub/c.txt"));
    check("unlink sub/d.txt", unlink("sub/d.txt"));
    check("rmdir sub", rmdir("sub"));
    list(".");
    return 0;
}
