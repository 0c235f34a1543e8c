/* Read-only zip archive parser (EOCD, ZIP64, central directory, local headers). */
#include "io/zip.h"

#include <stdlib.h>
#include <string.h>

#define ZIP_SIG_LOCAL 0x04034b50u
#define ZIP_SIG_CENTRAL 0x02014b50u
#define ZIP_SIG_EOCD 0x06054b50u
#define ZIP_SIG_EOCD64 0x06064b50u
#define ZIP_SIG_EOCD64_LOC 0x07064b50u

#define ZIP_EOCD_SIZE 22u
#define ZIP_EOCD64_LOC_SIZE 20u
#define ZIP_EOCD64_SIZE 56u
#define ZIP_CENTRAL_SIZE 46u
#define ZIP_LOCAL_SIZE 30u
#define ZIP_MAX_COMMENT 65535u

/* Little-endian loads; the caller guarantees p[0..n) is in range. */
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* True when [off, off+len) lies inside a buffer of size bytes (no overflow). */
static bool range_ok(uint64_t off, uint64_t len, size_t size) {
    return off <= (uint64_t)size && len <= (uint64_t)size - off;
}

/* The end-of-central-directory facts we need. */
typedef struct zip_eocd {
    uint64_t n_entries; /* total entries */
    uint64_t cd_size;   /* central directory bytes */
    uint64_t cd_offset; /* central directory offset */
    bool zip64;
} zip_eocd;

/* Find and parse the EOCD (and the ZIP64 records it points to) of data[0..size).
   Fills *e or returns A2A_ERR_FORMAT / A2A_ERR_UNSUPPORTED with a message. */
static a2a_status zip_find_eocd(a2a_ctx *ctx, const uint8_t *data, size_t size, zip_eocd *e) {
    if (size < ZIP_EOCD_SIZE) return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: file too small (%zu bytes) to be a zip archive", size);
    size_t lowest = size > ZIP_EOCD_SIZE + ZIP_MAX_COMMENT ? size - ZIP_EOCD_SIZE - ZIP_MAX_COMMENT : 0;
    size_t pos = size - ZIP_EOCD_SIZE;
    const uint8_t *eocd = NULL;
    for (;;) {
        if (rd32(data + pos) == ZIP_SIG_EOCD) {
            uint16_t clen = rd16(data + pos + 20);
            if ((uint64_t)pos + ZIP_EOCD_SIZE + clen <= (uint64_t)size) { eocd = data + pos; break; }
        }
        if (pos == lowest) break;
        pos--;
    }
    if (!eocd) return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: end of central directory record not found (not a zip archive, or truncated)");

    uint16_t disk = rd16(eocd + 4), cd_disk = rd16(eocd + 6);
    uint16_t n_disk = rd16(eocd + 8), n_total = rd16(eocd + 10);
    uint32_t cd_size = rd32(eocd + 12), cd_off = rd32(eocd + 16);
    e->n_entries = n_total;
    e->cd_size = cd_size;
    e->cd_offset = cd_off;
    e->zip64 = false;

    bool want64 = n_total == 0xffff || n_disk == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu ||
                  disk == 0xffff || cd_disk == 0xffff;
    bool have_loc = pos >= ZIP_EOCD64_LOC_SIZE && rd32(data + pos - ZIP_EOCD64_LOC_SIZE) == ZIP_SIG_EOCD64_LOC;
    if (want64 || have_loc) {
        if (!have_loc) return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: ZIP64 end of central directory locator missing");
        const uint8_t *loc = data + pos - ZIP_EOCD64_LOC_SIZE;
        uint32_t loc_disk = rd32(loc + 4), loc_disks = rd32(loc + 16);
        uint64_t off64 = rd64(loc + 8);
        if (loc_disk != 0 || loc_disks > 1)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: multi-disk (spanned) archives are not supported");
        if (!range_ok(off64, ZIP_EOCD64_SIZE, size) || off64 + ZIP_EOCD64_SIZE > (uint64_t)(pos - ZIP_EOCD64_LOC_SIZE))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: ZIP64 end of central directory offset %llu out of range",
                            (unsigned long long)off64);
        const uint8_t *r = data + off64;
        if (rd32(r) != ZIP_SIG_EOCD64) return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: bad ZIP64 end of central directory signature");
        uint32_t disk64 = rd32(r + 16), cd_disk64 = rd32(r + 20);
        uint64_t n_disk64 = rd64(r + 24), n_total64 = rd64(r + 32);
        if (disk64 != 0 || cd_disk64 != 0 || n_disk64 != n_total64)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: multi-disk (spanned) archives are not supported");
        e->n_entries = n_total64;
        e->cd_size = rd64(r + 40);
        e->cd_offset = rd64(r + 48);
        e->zip64 = true;
        /* the central directory must end before the ZIP64 record */
        if (!range_ok(e->cd_offset, e->cd_size, (size_t)off64))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: central directory (offset %llu, %llu bytes) beyond the ZIP64 end record",
                            (unsigned long long)e->cd_offset, (unsigned long long)e->cd_size);
        return A2A_OK;
    }
    if (disk != 0 || cd_disk != 0 || n_disk != n_total)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: multi-disk (spanned) archives are not supported");
    if (!range_ok(e->cd_offset, e->cd_size, pos))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: central directory (offset %llu, %llu bytes) beyond the end record at %zu",
                        (unsigned long long)e->cd_offset, (unsigned long long)e->cd_size, pos);
    return A2A_OK;
}

/* Apply a ZIP64 extended-information extra field (id 0x0001) from a central header's extra
   bytes ex[0..n): fields present only for the central values that are saturated. */
static a2a_status zip_apply_zip64_extra(a2a_ctx *ctx, const uint8_t *ex, size_t n, a2a_zip_entry *ent, bool need_usize,
                                        bool need_csize, bool need_off, const char *name) {
    bool found = false;
    size_t i = 0;
    while (i + 4 <= n) {
        uint16_t id = rd16(ex + i), len = rd16(ex + i + 2);
        if ((size_t)len > n - i - 4) return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s': extra field overruns its header", name);
        if (id == 0x0001) {
            const uint8_t *f = ex + i + 4;
            size_t left = len;
            found = true;
            if (need_usize) {
                if (left < 8) goto short_field;
                ent->size = rd64(f), f += 8, left -= 8;
            }
            if (need_csize) {
                if (left < 8) goto short_field;
                ent->comp_size = rd64(f), f += 8, left -= 8;
            }
            if (need_off) {
                if (left < 8) goto short_field;
                ent->local_offset = rd64(f);
            }
            break;
        }
        i += 4 + (size_t)len;
    }
    if ((need_usize || need_csize || need_off) && !found)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s' needs a ZIP64 extra field but has none", name);
    return A2A_OK;
short_field:
    return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s': ZIP64 extra field too short", name);
}

/* qsort comparator over entry pointers: by name. */
static int zip_cmp_entry(const void *a, const void *b) {
    const a2a_zip_entry *ea = *(const a2a_zip_entry *const *)a, *eb = *(const a2a_zip_entry *const *)b;
    return strcmp(ea->name, eb->name);
}

/* Resolve the local header of ent: set data_offset and check the data lies inside the file. */
static a2a_status zip_resolve_local(a2a_ctx *ctx, const uint8_t *data, size_t size, size_t cd_offset, a2a_zip_entry *ent) {
    if (!range_ok(ent->local_offset, ZIP_LOCAL_SIZE, size))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s': local header offset %llu beyond the file (%zu bytes)", ent->name,
                        (unsigned long long)ent->local_offset, size);
    const uint8_t *l = data + ent->local_offset;
    if (rd32(l) != ZIP_SIG_LOCAL) return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s': bad local header signature", ent->name);
    uint64_t dof = ent->local_offset + ZIP_LOCAL_SIZE + rd16(l + 26) + (uint64_t)rd16(l + 28);
    if (!range_ok(dof, ent->comp_size, size))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s': data (offset %llu, %llu bytes) beyond the file (%zu bytes)",
                        ent->name, (unsigned long long)dof, (unsigned long long)ent->comp_size, size);
    if (dof + ent->comp_size > (uint64_t)cd_offset)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry '%s': data overlaps the central directory", ent->name);
    ent->data_offset = dof;
    return A2A_OK;
}

a2a_status a2a_zip_open(a2a_ctx *ctx, const uint8_t *data, size_t size, a2a_zip *z) {
    if (!z) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "zip: NULL output");
    memset(z, 0, sizeof(*z));
    if (!data && size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "zip: NULL data");
    zip_eocd eo = {0};
    a2a_status st = zip_find_eocd(ctx, data, size, &eo);
    if (st != A2A_OK) return st;
    if (eo.n_entries > A2A_ZIP_MAX_ENTRIES)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: %llu entries exceed the limit of %u", (unsigned long long)eo.n_entries,
                        A2A_ZIP_MAX_ENTRIES);
    if (eo.n_entries * ZIP_CENTRAL_SIZE > eo.cd_size)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: %llu entries cannot fit in a %llu-byte central directory",
                        (unsigned long long)eo.n_entries, (unsigned long long)eo.cd_size);
    /* cd_size <= size here, so the name storage below is bounded by the file size */
    size_t n = (size_t)eo.n_entries;
    z->data = data;
    z->size = size;
    z->zip64 = eo.zip64;
    z->entries = calloc(n ? n : 1, sizeof(*z->entries));
    z->sorted = calloc(n ? n : 1, sizeof(*z->sorted));
    z->names = malloc((size_t)eo.cd_size + n + 1);
    if (!z->entries || !z->sorted || !z->names) {
        a2a_zip_close(z);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "zip: out of memory for %zu entries", n);
    }
    const uint8_t *p = data + eo.cd_offset, *end = p + eo.cd_size;
    char *np = z->names;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)(end - p) < ZIP_CENTRAL_SIZE || rd32(p) != ZIP_SIG_CENTRAL) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "zip: central directory entry %zu is truncated or has a bad signature", i);
            goto fail;
        }
        uint16_t flags = rd16(p + 8), method = rd16(p + 10);
        uint32_t crc = rd32(p + 16), csize = rd32(p + 20), usize = rd32(p + 24);
        uint16_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32), dstart = rd16(p + 34);
        uint32_t loff = rd32(p + 42);
        size_t rec = (size_t)ZIP_CENTRAL_SIZE + nlen + xlen + clen;
        if ((size_t)(end - p) < rec) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "zip: central directory entry %zu overruns the directory", i);
            goto fail;
        }
        a2a_zip_entry *ent = &z->entries[i];
        memcpy(np, p + ZIP_CENTRAL_SIZE, nlen);
        np[nlen] = '\0';
        ent->name = np;
        ent->name_len = nlen;
        np += (size_t)nlen + 1;
        if (memchr(ent->name, '\0', nlen)) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "zip: entry %zu has a NUL byte in its name", i);
            goto fail;
        }
        ent->flags = flags;
        ent->method = method;
        ent->crc32 = crc;
        ent->comp_size = csize;
        ent->size = usize;
        ent->local_offset = loff;
        if (dstart != 0 && dstart != 0xffff) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: entry '%s' is on disk %u (multi-disk archives are not supported)",
                          ent->name, dstart);
            goto fail;
        }
        st = zip_apply_zip64_extra(ctx, p + ZIP_CENTRAL_SIZE + nlen, xlen, ent, usize == 0xffffffffu, csize == 0xffffffffu,
                                   loff == 0xffffffffu, ent->name);
        if (st != A2A_OK) goto fail;
        st = zip_resolve_local(ctx, data, size, (size_t)eo.cd_offset, ent);
        if (st != A2A_OK) goto fail;
        z->sorted[i] = ent;
        p += rec;
    }
    z->n_entries = n;
    if (n > 1) qsort(z->sorted, n, sizeof(*z->sorted), zip_cmp_entry);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(z->sorted[i - 1]->name, z->sorted[i]->name) == 0) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "zip: duplicate entry name '%s'", z->sorted[i]->name);
            goto fail;
        }
    }
    return A2A_OK;
fail:
    a2a_zip_close(z);
    return st;
}

const a2a_zip_entry *a2a_zip_find(const a2a_zip *z, const char *name) {
    if (!z || !name) return NULL;
    size_t lo = 0, hi = z->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const a2a_zip_entry *e = z->sorted[mid];
        int c = strcmp(e->name, name);
        if (c == 0) return e;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

a2a_status a2a_zip_entry_data(a2a_ctx *ctx, const a2a_zip *z, const a2a_zip_entry *e, const uint8_t **out,
                              size_t *out_size) {
    if (!z || !e || !out || !out_size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "zip: NULL argument");
    *out = NULL;
    *out_size = 0;
    if (e->flags & 1u)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: entry '%s' is encrypted", e->name);
    if (e->method != 0)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "zip: entry '%s' is compressed (method %u); re-save with torch.save", e->name,
                        e->method);
    if (e->comp_size != e->size)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "zip: stored entry '%s' has compressed size %llu != size %llu", e->name,
                        (unsigned long long)e->comp_size, (unsigned long long)e->size);
    /* data_offset/comp_size were range-checked in a2a_zip_open */
    *out = z->data + e->data_offset;
    *out_size = (size_t)e->size;
    return A2A_OK;
}

void a2a_zip_close(a2a_zip *z) {
    if (!z) return;
    free(z->entries);
    free(z->sorted);
    free(z->names);
    memset(z, 0, sizeof(*z));
}
