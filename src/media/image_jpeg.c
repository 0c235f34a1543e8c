/* JPEG decoding through libjpeg(-turbo): islow IDCT and fancy upsampling (the library
   defaults, which PIL uses too), an error manager that longjmps back with the message,
   truncation treated as an error, a bound on progressive scans, EXIF orientation. */
#include "media/image.h"

#include <string.h>

#ifndef A2A_HAVE_JPEG

/* Built without libjpeg: JPEG is unsupported. */
a2a_status a2a_image_decode_jpeg(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    A2A_UNUSED(data); A2A_UNUSED(size); A2A_UNUSED(lim);
    memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "jpeg: this build has no JPEG support (libjpeg was not found at configure time)");
}

#else

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>
#include <jerror.h>

/* Most scans a progressive file may have (defeats the many-tiny-scans CPU DoS). */
#define A2A_JPEG_MAX_SCANS 1000

typedef struct jpeg_err {
    struct jpeg_error_mgr mgr; /* first member: libjpeg casts to it */
    jmp_buf jb;
    bool truncated;            /* JWRN_JPEG_EOF was raised */
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

/* Fatal libjpeg error: format the message and unwind to the decoder's setjmp. */
static void jpeg_on_error(j_common_ptr cinfo) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}

/* Warnings/trace: never printed; a premature end of data is remembered (we fail on it). */
static void jpeg_on_emit(j_common_ptr cinfo, int level) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) e->truncated = true;
}

/* Silence libjpeg's stderr output. */
static void jpeg_on_output(j_common_ptr cinfo) { A2A_UNUSED(cinfo); }

/* Progress monitor: abort files with absurdly many scans. */
static void jpeg_on_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > A2A_JPEG_MAX_SCANS) {
            jpeg_err *e = (jpeg_err *)cinfo->err;
            snprintf(e->msg, sizeof e->msg, "more than %d scans", A2A_JPEG_MAX_SCANS);
            longjmp(e->jb, 1);
        }
    }
}

/* a * b / 255, rounded (CMYK -> RGB). */
static inline uint8_t mul255(unsigned a, unsigned b) { return (uint8_t)((a * b + 127) / 255); }

/* Decode a JPEG held in memory to 8-bit RGB (EXIF orientation applied if lim says so). */
a2a_status a2a_image_decode_jpeg(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    struct jpeg_progress_mgr prog;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&err, 0, sizeof err);
    memset(&prog, 0, sizeof prog);
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_on_error;
    err.mgr.emit_message = jpeg_on_emit;
    err.mgr.output_message = jpeg_on_output;
    /* state used after longjmp: volatile or owned memory */
    uint8_t *volatile row = NULL;
    a2a_image *volatile img = out;
    volatile a2a_status st = A2A_OK;
    if (setjmp(err.jb)) {
        if (st == A2A_OK) st = a2a_fail(ctx, A2A_ERR_FORMAT, "jpeg: %s", err.msg[0] ? err.msg : "corrupt data");
        jpeg_destroy_decompress(&cinfo);
        free((void *)row);
        a2a_image_free(img);
        return st;
    }
    jpeg_create_decompress(&cinfo);
    prog.progress_monitor = jpeg_on_progress;
    cinfo.progress = &prog;
    cinfo.mem->max_memory_to_use = 512L * 1024 * 1024;
    if (size > (size_t)(unsigned long)-1) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "jpeg: input too large");
        longjmp(err.jb, 1);
    }
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    int orientation = 0;
    if (lim->apply_exif_orientation) {
        for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
            if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
                orientation = a2a_exif_orientation(m->data, m->data_length);
                break;
            }
        }
    }
    /* check the size before libjpeg allocates anything big */
    a2a_status ast = a2a_image_alloc(ctx, (int64_t)cinfo.image_width, (int64_t)cinfo.image_height, lim, img);
    if (ast != A2A_OK) {
        st = ast;
        longjmp(err.jb, 1);
    }
    bool cmyk = false, adobe_inverted = false;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        cmyk = true;
        adobe_inverted = cinfo.saw_Adobe_marker != 0;
        break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    jpeg_start_decompress(&cinfo);
    const int nc = cinfo.output_components;
    if (cinfo.output_width != (JDIMENSION)img->w || cinfo.output_height != (JDIMENSION)img->h ||
        (nc != 1 && nc != 3 && nc != 4)) {
        snprintf(err.msg, sizeof err.msg, "unexpected output layout");
        longjmp(err.jb, 1);
    }
    row = (uint8_t *)malloc((size_t)img->w * (size_t)nc);
    if (!row) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "jpeg: out of memory");
        longjmp(err.jb, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        const size_t y = cinfo.output_scanline;
        JSAMPROW rp = (JSAMPROW)row;
        if (jpeg_read_scanlines(&cinfo, &rp, 1) != 1) {
            snprintf(err.msg, sizeof err.msg, "truncated data");
            longjmp(err.jb, 1);
        }
        uint8_t *d = img->data + y * (size_t)img->w * 3;
        const uint8_t *s = row;
        for (int32_t x = 0; x < img->w; x++, d += 3, s += nc) {
            if (nc == 1) {
                d[0] = d[1] = d[2] = s[0];
            } else if (nc == 3) {
                d[0] = s[0]; d[1] = s[1]; d[2] = s[2];
            } else {
                unsigned c = s[0], m = s[1], yy = s[2], k = s[3];
                if (adobe_inverted) { c = 255 - c; m = 255 - m; yy = 255 - yy; k = 255 - k; }
                d[0] = mul255(255 - c, 255 - k);
                d[1] = mul255(255 - m, 255 - k);
                d[2] = mul255(255 - yy, 255 - k);
            }
        }
    }
    A2A_UNUSED(cmyk);
    if (err.truncated) {
        snprintf(err.msg, sizeof err.msg, "premature end of data (truncated file)");
        longjmp(err.jb, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free((void *)row);
    if (orientation > 1) {
        a2a_status ost = a2a_image_apply_orientation(ctx, img, orientation);
        if (ost != A2A_OK) {
            a2a_image_free(img);
            return ost;
        }
    }
    return A2A_OK;
}

#endif
