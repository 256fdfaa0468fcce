/*
 * powercut: an LD_PRELOAD library that keeps, next to every file under $POWERCUT_DIR, the image a disk would
 * hold after a power cut: only what was fsync'ed / fdatasync'ed survives.
 *
 * Every write goes through to the real file (the program sees a normal file system) AND is appended to a
 * per-file list of pending operations (the "page cache"). fsync/fdatasync on any descriptor of the file applies
 * the pending operations, in order, to `<file>.durable` (the durable image) and empties the list. A power cut
 * is then: SIGKILL the process, and replace every file by its durable image (a file that was never synced
 * disappears). tools/powercut/harness.py does both.
 *
 * Intercepted: open, open64, openat, openat64, creat, creat64, write, pwrite, pwrite64, writev, ftruncate,
 * ftruncate64, fsync, fdatasync, unlink, close. Model and limits (see docs/reliability.md):
 *   - pending operations belong to the file (its path), not to a descriptor: Linux's fsync flushes the inode;
 *   - unlink takes effect at once in the durable image too (SQLite deletes only files it no longer needs);
 *   - writes through a shared mapping (mmap) are not seen: SQLite maps only the WAL index (-shm), which holds
 *     no data and is rebuilt from the WAL after a crash; the harness deletes it at the cut (it is never synced);
 *   - rename is not modelled (SQLite does not rename).
 * Built at test time: gcc -shared -fPIC -O2 -o libpowercut.so powercut.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536
#define SUFFIX ".durable"

enum { OP_WRITE = 0, OP_TRUNCATE = 1 };

struct op {
    int kind;
    off_t offset; /* write: where; truncate: the new length */
    size_t len;
    struct op *next;
    char data[];
};

struct file {
    char path[PATH_MAX];
    struct op *head, *tail;
    struct file *next;
};

static char target[PATH_MAX];
static size_t target_len;
static struct file *files;
static struct file *by_fd[MAX_FD];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long syncs_applied;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_unlink)(const char *);
static int (*real_close)(int);

static void *need(const char *name) {
    void *fn = dlsym(RTLD_NEXT, name);
    if (fn == NULL) {
        fprintf(stderr, "powercut: no symbol %s\n", name);
        abort();
    }
    return fn;
}

__attribute__((constructor)) static void init(void) {
    real_open = need("open");
    real_open64 = need("open64");
    real_openat = need("openat");
    real_openat64 = need("openat64");
    real_write = need("write");
    real_pwrite = need("pwrite");
    real_pwrite64 = need("pwrite64");
    real_writev = need("writev");
    real_ftruncate = need("ftruncate");
    real_ftruncate64 = need("ftruncate64");
    real_fsync = need("fsync");
    real_fdatasync = need("fdatasync");
    real_unlink = need("unlink");
    real_close = need("close");
    const char *dir = getenv("POWERCUT_DIR");
    if (dir != NULL && dir[0] == '/' && strlen(dir) < sizeof(target) - 2) {
        strcpy(target, dir);
        target_len = strlen(target);
        while (target_len > 1 && target[target_len - 1] == '/')
            target[--target_len] = '\0';
    }
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The absolute path of `path` (relative to dirfd), if it names a file under the target directory. */
static int tracked_path(int dirfd, const char *path, char *out) {
    if (target_len == 0 || path == NULL)
        return 0;
    if (path[0] == '/') {
        if (strlen(path) >= PATH_MAX)
            return 0;
        strcpy(out, path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (getcwd(base, sizeof(base)) == NULL)
                return 0;
        } else {
            char link[64];
            snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof(base) - 1);
            if (n < 0)
                return 0;
            base[n] = '\0';
        }
        if (snprintf(out, PATH_MAX, "%s/%s", base, path) >= PATH_MAX)
            return 0;
    }
    return strncmp(out, target, target_len) == 0 && out[target_len] == '/' && !ends_with(out, SUFFIX);
}

static struct file *file_for(const char *path) {
    for (struct file *f = files; f != NULL; f = f->next)
        if (strcmp(f->path, path) == 0)
            return f;
    struct file *f = calloc(1, sizeof(*f));
    if (f == NULL)
        abort();
    strcpy(f->path, path);
    f->next = files;
    files = f;
    return f;
}

static void forget_ops(struct file *f) {
    struct op *o = f->head;
    while (o != NULL) {
        struct op *next = o->next;
        free(o);
        o = next;
    }
    f->head = f->tail = NULL;
}

static void add_op(struct file *f, int kind, off_t offset, const void *data, size_t len) {
    struct op *o = malloc(sizeof(*o) + len);
    if (o == NULL)
        abort();
    o->kind = kind;
    o->offset = offset;
    o->len = len;
    o->next = NULL;
    if (len)
        memcpy(o->data, data, len);
    if (f->tail)
        f->tail->next = o;
    else
        f->head = o;
    f->tail = o;
}

static void after_open(int fd, const char *path, int flags) {
    if (fd < 0 || fd >= MAX_FD)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    pthread_mutex_lock(&mu);
    struct file *f = file_for(path);
    by_fd[fd] = f;
    if (flags & O_TRUNC)
        add_op(f, OP_TRUNCATE, 0, NULL, 0);
    pthread_mutex_unlock(&mu);
}

/* fsync reached the disk: apply what was pending to the durable image. Called with `mu` held. */
static void make_durable(struct file *f) {
    char shadow[PATH_MAX + sizeof(SUFFIX)];
    snprintf(shadow, sizeof(shadow), "%s%s", f->path, SUFFIX);
    int sfd = real_open(shadow, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (sfd < 0) {
        perror("powercut: shadow");
        abort();
    }
    for (struct op *o = f->head; o != NULL; o = o->next) {
        if (o->kind == OP_WRITE) {
            size_t done = 0;
            while (done < o->len) {
                ssize_t n = real_pwrite64(sfd, o->data + done, o->len - done, o->offset + (off_t)done);
                if (n <= 0) {
                    perror("powercut: shadow write");
                    abort();
                }
                done += (size_t)n;
            }
        } else if (real_ftruncate64(sfd, o->offset) != 0) {
            perror("powercut: shadow truncate");
            abort();
        }
    }
    real_close(sfd);
    forget_ops(f);
    syncs_applied++;
}

static struct file *tracked_fd(int fd) { return (fd >= 0 && fd < MAX_FD) ? by_fd[fd] : NULL; }

static int open_common(int dirfd, const char *path, int flags, mode_t mode, int use64, int at) {
    char full[PATH_MAX];
    int tracked = tracked_path(dirfd, path, full);
    int fd;
    if (at)
        fd = use64 ? real_openat64(dirfd, path, flags, mode) : real_openat(dirfd, path, flags, mode);
    else
        fd = use64 ? real_open64(path, flags, mode) : real_open(path, flags, mode);
    if (tracked && fd >= 0) {
        int saved = errno;
        after_open(fd, full, flags);
        errno = saved;
    }
    return fd;
}

#define MODE_ARG(flags, mode)                                                                                     \
    mode_t mode = 0;                                                                                              \
    if ((flags) & (O_CREAT | O_TMPFILE)) {                                                                        \
        va_list ap;                                                                                               \
        va_start(ap, flags);                                                                                      \
        mode = (mode_t)va_arg(ap, int);                                                                           \
        va_end(ap);                                                                                               \
    }

int open(const char *path, int flags, ...) {
    MODE_ARG(flags, mode)
    return open_common(AT_FDCWD, path, flags, mode, 0, 0);
}

int open64(const char *path, int flags, ...) {
    MODE_ARG(flags, mode)
    return open_common(AT_FDCWD, path, flags, mode, 1, 0);
}

int openat(int dirfd, const char *path, int flags, ...) {
    MODE_ARG(flags, mode)
    return open_common(dirfd, path, flags, mode, 0, 1);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    MODE_ARG(flags, mode)
    return open_common(dirfd, path, flags, mode, 1, 1);
}

int creat(const char *path, mode_t mode) { return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, 0, 0); }

int creat64(const char *path, mode_t mode) {
    return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, 1, 0);
}

ssize_t write(int fd, const void *buf, size_t len) {
    struct file *f = tracked_fd(fd);
    if (f == NULL)
        return real_write(fd, buf, len);
    pthread_mutex_lock(&mu);
    off_t at = lseek(fd, 0, SEEK_CUR);
    ssize_t n = real_write(fd, buf, len);
    int saved = errno;
    if (n > 0 && at >= 0)
        add_op(f, OP_WRITE, at, buf, (size_t)n);
    pthread_mutex_unlock(&mu);
    errno = saved;
    return n;
}

static ssize_t pwrite_common(int fd, const void *buf, size_t len, off_t offset, int use64) {
    struct file *f = tracked_fd(fd);
    if (f == NULL)
        return use64 ? real_pwrite64(fd, buf, len, offset) : real_pwrite(fd, buf, len, offset);
    pthread_mutex_lock(&mu);
    ssize_t n = use64 ? real_pwrite64(fd, buf, len, offset) : real_pwrite(fd, buf, len, offset);
    int saved = errno;
    if (n > 0)
        add_op(f, OP_WRITE, offset, buf, (size_t)n);
    pthread_mutex_unlock(&mu);
    errno = saved;
    return n;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset) { return pwrite_common(fd, buf, len, offset, 0); }

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t offset) { return pwrite_common(fd, buf, len, offset, 1); }

ssize_t writev(int fd, const struct iovec *iov, int count) {
    struct file *f = tracked_fd(fd);
    if (f == NULL)
        return real_writev(fd, iov, count);
    pthread_mutex_lock(&mu);
    off_t at = lseek(fd, 0, SEEK_CUR);
    ssize_t n = real_writev(fd, iov, count);
    int saved = errno;
    if (n > 0 && at >= 0) {
        size_t left = (size_t)n;
        for (int i = 0; i < count && left > 0; i++) {
            size_t take = iov[i].iov_len < left ? iov[i].iov_len : left;
            add_op(f, OP_WRITE, at, iov[i].iov_base, take);
            at += (off_t)take;
            left -= take;
        }
    }
    pthread_mutex_unlock(&mu);
    errno = saved;
    return n;
}

static int truncate_common(int fd, off_t length, int use64) {
    struct file *f = tracked_fd(fd);
    if (f == NULL)
        return use64 ? real_ftruncate64(fd, length) : real_ftruncate(fd, length);
    pthread_mutex_lock(&mu);
    int rc = use64 ? real_ftruncate64(fd, length) : real_ftruncate(fd, length);
    int saved = errno;
    if (rc == 0)
        add_op(f, OP_TRUNCATE, length, NULL, 0);
    pthread_mutex_unlock(&mu);
    errno = saved;
    return rc;
}

int ftruncate(int fd, off_t length) { return truncate_common(fd, length, 0); }

int ftruncate64(int fd, off_t length) { return truncate_common(fd, length, 1); }

static int sync_common(int fd, int data_only) {
    int rc = data_only ? real_fdatasync(fd) : real_fsync(fd);
    struct file *f = tracked_fd(fd);
    if (rc == 0 && f != NULL) {
        int saved = errno;
        pthread_mutex_lock(&mu);
        make_durable(f);
        pthread_mutex_unlock(&mu);
        errno = saved;
    }
    return rc;
}

int fsync(int fd) { return sync_common(fd, 0); }

int fdatasync(int fd) { return sync_common(fd, 1); }

int unlink(const char *path) {
    char full[PATH_MAX];
    int tracked = tracked_path(AT_FDCWD, path, full);
    int rc = real_unlink(path);
    if (tracked && rc == 0) {
        int saved = errno;
        pthread_mutex_lock(&mu);
        forget_ops(file_for(full));
        char shadow[PATH_MAX + sizeof(SUFFIX)];
        snprintf(shadow, sizeof(shadow), "%s%s", full, SUFFIX);
        real_unlink(shadow);
        pthread_mutex_unlock(&mu);
        errno = saved;
    }
    return rc;
}

int close(int fd) {
    if (fd >= 0 && fd < MAX_FD && by_fd[fd] != NULL) {
        pthread_mutex_lock(&mu);
        by_fd[fd] = NULL;
        pthread_mutex_unlock(&mu);
    }
    return real_close(fd);
}

/* For the harness's self-check: how many fsyncs reached a durable image in this process. */
unsigned long powercut_syncs_applied(void) { return syncs_applied; }
