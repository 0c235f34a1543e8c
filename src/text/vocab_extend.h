/* Internal: copy a GGUF vocabulary (tokenizer.* metadata) into a writer with tokens appended --
   how NExT-GPT's added tokens (<Img>, </Img>, [IMG0]..[IMG3], [VID0].., [AUD0]..) join the
   LLaMA vocabulary, as transformers' tokenizer.add_tokens() does: new ids after the existing
   ones, matched in text before the regular tokenizer runs (type USER_DEFINED), score 0. */
#ifndef A2A_TEXT_VOCAB_EXTEND_H
#define A2A_TEXT_VOCAB_EXTEND_H

#include <stdint.h>

#include "io/gguf.h"

/* Copy every tokenizer.* key of src into w, with tokenizer.ggml.tokens / scores / token_type
   extended by the n_extra tokens in extra (which must be non-empty, distinct, and not already
   in the vocabulary: A2A_ERR_INVALID_ARG naming the token otherwise). *n_vocab (may be NULL)
   receives the new vocabulary size. n_extra 0 is a plain copy. */
a2a_status a2a_vocab_gguf_copy_extended(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_gguf *src,
                                        const char *const *extra, int32_t n_extra, int64_t *n_vocab);

#endif
