/*
 * attach.c - see attach.h.
 */
#include "core/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *type;
    size_t at;
    const char *magic;
    size_t n;
} magics[] = {
    {"image/jpeg", 0, "\xFF\xD8\xFF", 3},
    {"image/png", 0, "\x89PNG\r\n\x1A\n", 8},
    {"application/pdf", 0, "%PDF-", 5},
};

const char *attach_sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < WG_ARRAY_LEN(magics); i++)
        if (len >= magics[i].at + magics[i].n &&
            memcmp(p + magics[i].at, magics[i].magic, magics[i].n) == 0)
            return magics[i].type;
    /* WebP: "RIFF" <size> "WEBP" */
    if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return "image/webp";
    return NULL;
}

bool attach_sha_ok(const char *sha)
{
    if (!sha || strlen(sha) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((sha[i] >= '0' && sha[i] <= '9') || (sha[i] >= 'a' && sha[i] <= 'f')))
            return false;
    return true;
}

void attach_path(const char *dir, const char *sha, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%.2s/%s", dir, sha, sha);
}

static int mkdir_p(const char *path)
{
    char tmp[1200];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

wg_err attach_store(store *s, const char *dir, const void *data, size_t len, int64_t now,
                    char sha[65], const char **media_type, wg_why *why)
{
    const char *type = attach_sniff(data, len);
    if (!type)
        return wg_fail(why, WG_ERR_MEDIA_TYPE, "file",
                       "only JPEG, PNG, WebP and PDF files are accepted");
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(sha, 65, d, sizeof(d));
    char path[1200], sub[1100], tmp[1300];
    snprintf(sub, sizeof(sub), "%s/%.2s", dir, sha);
    attach_path(dir, sha, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) != 0 || (size_t)st.st_size != len) {
        if (mkdir_p(sub) != 0)
            return wg_fail(why, WG_ERR_IO, NULL, "cannot create %s: %s", sub, strerror(errno));
        snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0)
            return wg_fail(why, WG_ERR_IO, NULL, "cannot write %s: %s", tmp, strerror(errno));
        const unsigned char *p = data;
        size_t left = len;
        while (left) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            p += w;
            left -= (size_t)w;
        }
        bool ok = left == 0 && fsync(fd) == 0;
        close(fd);
        if (!ok || rename(tmp, path) != 0) {
            unlink(tmp);
            return wg_fail(why, WG_ERR_IO, NULL, "cannot store the file in %s", dir);
        }
    }
    *media_type = type;
    return store_attachment_put(s, sha, type, (int64_t)len, now);
}

wg_err attach_check_list(store *s, const json_t *att, wg_why *why)
{
    if (!json_is_array(att) || json_array_size(att) > 20)
        return wg_fail(why, WG_ERR_BAD_REQUEST, "attachments",
                       "'attachments' is a list of up to 20 SHA-256s from POST /api/attachments");
    for (size_t i = 0; i < json_array_size(att); i++) {
        const char *sha = json_string_value(json_array_get(att, i));
        char type[64];
        int64_t size;
        if (!attach_sha_ok(sha) || store_attachment_get(s, sha, type, sizeof(type), &size) != WG_OK)
            return wg_fail(why, WG_ERR_INVALID, "attachments", "no attachment %s",
                           sha ? sha : "(not a string)");
    }
    return WG_OK;
}
