/* Internal: the public API's opaque structs that more than one src/api file needs. */
#ifndef A2A_API_INTERNAL_H
#define A2A_API_INTERNAL_H

#include "core/threadpool.h"
#include "models/llm/llama.h"

struct a2a_session {
    a2a_llm_session *s;      /* KV cache and activations */
    a2a_threadpool *tp;      /* owned */
    const a2a_llm_model *m;
    const volatile int *cancel;
};

#endif
