/* Internal: read-only zip archives held in memory (an mmap), as written by torch.save.

   Supports the End of Central Directory record (searched backwards within the last
   64 KiB + 22 bytes), ZIP64 (EOCD locator and record, ZIP64 extra fields in central
   headers), and local headers whose name/extra lengths differ from the central copy
   (torch pads the local extra field so that entry data is 64-byte aligned).
   Every offset and size is checked against the buffer and for overflow when the archive
   is opened; entry names must be unique. Only stored (method 0) entries can be read. */
#ifndef A2A_IO_ZIP_H
#define A2A_IO_ZIP_H

#include "core/status.h"

/* Hard limit on the number of entries (a torch checkpoint has one per storage). */
#define A2A_ZIP_MAX_ENTRIES (1u << 22)

typedef struct a2a_zip_entry {
    const char *name;      /* NUL-terminated copy owned by the archive */
    size_t name_len;       /* bytes in name (names with NUL bytes are refused) */
    uint16_t method;       /* 0 stored, 8 deflate, ... */
    uint16_t flags;        /* general purpose bit flags */
    uint32_t crc32;        /* from the central directory (not verified) */
    uint64_t comp_size;    /* bytes stored in the archive */
    uint64_t size;         /* uncompressed bytes */
    uint64_t local_offset; /* offset of the local header */
    uint64_t data_offset;  /* offset of the entry's first data byte (comp_size bytes in range) */
} a2a_zip_entry;

typedef struct a2a_zip {
    const uint8_t *data;    /* the whole archive (not owned) */
    size_t size;            /* archive bytes */
    a2a_zip_entry *entries; /* n_entries, in central directory order */
    size_t n_entries;
    a2a_zip_entry **sorted; /* the entries sorted by name (for lookups) */
    char *names;            /* storage for all entry names */
    bool zip64;             /* the archive used a ZIP64 end record */
} a2a_zip;

/* Parse the archive in data[0..size) (which must outlive z). On success z owns its tables;
   free them with a2a_zip_close. Errors: A2A_ERR_FORMAT (not a zip, truncated, offsets out
   of range, duplicate names), A2A_ERR_UNSUPPORTED (multi-disk, encrypted), A2A_ERR_NOMEM. */
a2a_status a2a_zip_open(a2a_ctx *ctx, const uint8_t *data, size_t size, a2a_zip *z);

/* The entry named name (exact, case-sensitive), or NULL. */
const a2a_zip_entry *a2a_zip_find(const a2a_zip *z, const char *name);

/* The bytes of a stored entry: *out points into the archive buffer, *out_size = e->size.
   Errors: A2A_ERR_UNSUPPORTED for compressed or encrypted entries (the message names the
   entry and the method), A2A_ERR_FORMAT if a stored entry's sizes disagree. */
a2a_status a2a_zip_entry_data(a2a_ctx *ctx, const a2a_zip *z, const a2a_zip_entry *e, const uint8_t **out,
                              size_t *out_size);

/* Free the tables of z (the buffer is not touched); z is zeroed. Safe on a zeroed z. */
void a2a_zip_close(a2a_zip *z);

#endif
