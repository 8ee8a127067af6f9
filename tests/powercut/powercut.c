/* A power cut for tests, the technique of SQLite's own crash tests: only what was synced
 * survives. LD_PRELOADed into the agent, this records the content of every regular file under
 * $POWERCUT_DIR at each fsync/fdatasync of it, into $POWERCUT_SHADOW (one copy per file, named
 * by its path under the folder with '/' as '%'). The test then kills the agent with SIGKILL at a
 * moment of its choosing and "cuts the power" (tests/integration/powercut.py): every file is
 * put back to its last synced copy, and a file never synced is removed. So a write is lost
 * unless an fsync of its file came after it, whatever the page cache did meanwhile: the worst
 * case a real power cut can produce, short of a flash card that lies about its syncs.
 *
 * File data is judged strictly; directory operations are not: a rename, link or unlink under
 * the folder is taken as durable at once (ext4's journal commits them within seconds, and the
 * agent fsyncs what it renames first). The copy follows the file: renamed with it, copied for a
 * new link, dropped with an unlink; a file renamed over another without a sync of its own loses
 * the other's copy (it holds never-synced data now).
 *
 * $POWERCUT_SHADOW/sync.log gets one line per sync recorded: "<unix ms> <name> <bytes>".
 */
#define _GNU_SOURCE  // NOLINT(bugprone-reserved-identifier): dlsym's RTLD_NEXT
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char* watched;
static size_t watched_len;
static const char* shadow;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long copies;

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char*, const char*);
static int (*real_link)(const char*, const char*);
static int (*real_unlink)(const char*);
static int (*real_remove)(const char*);

__attribute__((constructor)) static void start(void) {
    watched = getenv("POWERCUT_DIR");
    shadow = getenv("POWERCUT_SHADOW");
    watched_len = watched ? strlen(watched) : 0;
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_rename = (int (*)(const char*, const char*))dlsym(RTLD_NEXT, "rename");
    real_link = (int (*)(const char*, const char*))dlsym(RTLD_NEXT, "link");
    real_unlink = (int (*)(const char*))dlsym(RTLD_NEXT, "unlink");
    real_remove = (int (*)(const char*))dlsym(RTLD_NEXT, "remove");
}

/* The shadow copy's path for `path`, when `path` is under the watched folder. */
static int shadow_of(const char* path, char* out, size_t size) {
    char abs[PATH_MAX];
    if (!watched || !shadow) return 0;
    if (path[0] != '/') {
        if (!getcwd(abs, sizeof abs)) return 0;
        size_t n = strlen(abs);
        if (snprintf(abs + n, sizeof abs - n, "/%s", path) >= (int)(sizeof abs - n)) return 0;
        path = abs;
    }
    if (strncmp(path, watched, watched_len) != 0 || path[watched_len] != '/') return 0;
    const char* rest = path + watched_len + 1;
    size_t n = (size_t)snprintf(out, size, "%s/", shadow);
    for (; *rest && n + 1 < size; ++rest) out[n++] = (char)(*rest == '/' ? '%' : *rest);
    out[n] = '\0';
    return *rest == '\0';
}

static int copy_file(const char* from, const char* to) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int ok = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            ok = -1;
            break;
        }
    if (n < 0) ok = -1;
    close(in);
    close(out);
    return ok;
}

static void log_sync(const char* name, off_t bytes) {
    char path[PATH_MAX];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(path, sizeof path, "%s/sync.log", shadow);
    FILE* f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%lld %s %lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
            strrchr(name, '/') + 1, (long long)bytes);
    fclose(f);
}

/* Records fd's file as it is now: copied beside its shadow, then renamed over it, so a kill
 * in the middle leaves the previous copy whole. */
static void record(int fd) {
    char fd_link[64], file[PATH_MAX], target[PATH_MAX], tmp[PATH_MAX + 32];
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    snprintf(fd_link, sizeof fd_link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(fd_link, file, sizeof file - 1);
    if (n <= 0) return;
    file[n] = '\0';
    if (!shadow_of(file, target, sizeof target)) return;
    pthread_mutex_lock(&lock);
    snprintf(tmp, sizeof tmp, "%s/.copy.%d.%lu", shadow, (int)getpid(), copies++);
    if (copy_file(file, tmp) == 0 && real_rename(tmp, target) == 0) {
        log_sync(target, st.st_size);
    } else {
        real_unlink(tmp);
    }
    pthread_mutex_unlock(&lock);
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name)
int fsync(int fd) {
    int saved, rc = real_fsync(fd);
    saved = errno;
    if (rc == 0) record(fd);
    errno = saved;
    return rc;
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name)
int fdatasync(int fd) {
    int saved, rc = real_fdatasync(fd);
    saved = errno;
    if (rc == 0) record(fd);
    errno = saved;
    return rc;
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name)
int rename(const char* from, const char* to) {
    char s_from[PATH_MAX], s_to[PATH_MAX];
    int rc = real_rename(from, to), saved = errno;
    if (rc == 0 && shadow_of(to, s_to, sizeof s_to)) {
        pthread_mutex_lock(&lock);
        if (!shadow_of(from, s_from, sizeof s_from) || real_rename(s_from, s_to) != 0)
            real_unlink(s_to);
        pthread_mutex_unlock(&lock);
    }
    errno = saved;
    return rc;
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name)
int link(const char* from, const char* to) {
    char s_from[PATH_MAX], s_to[PATH_MAX];
    int rc = real_link(from, to), saved = errno;
    if (rc == 0 && shadow_of(from, s_from, sizeof s_from) && shadow_of(to, s_to, sizeof s_to)) {
        pthread_mutex_lock(&lock);
        copy_file(s_from, s_to);
        pthread_mutex_unlock(&lock);
    }
    errno = saved;
    return rc;
}

static void forget(const char* path) {
    char s[PATH_MAX];
    if (shadow_of(path, s, sizeof s)) real_unlink(s);
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name)
int unlink(const char* path) {
    int rc = real_unlink(path), saved = errno;
    if (rc == 0) forget(path);
    errno = saved;
    return rc;
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name)
int remove(const char* path) {
    int rc = real_remove(path), saved = errno;
    if (rc == 0) forget(path);
    errno = saved;
    return rc;
}
