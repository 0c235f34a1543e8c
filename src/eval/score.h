/* Internal: scoring a text reply against an expected attribute value (the demo evaluation).

   A reply is split into lower-case words (runs of ASCII letters and digits). A value of an
   attribute is PRESENT in the reply when:
     - "shape":  the value or its plural (value + "s") is a word ("circle", "circles");
     - "note":   the word "note" (or "notes") is followed by the value, directly or after
                 "is" ("the note C", "The note is C.");
                 a bare letter never counts, since "a" is also an article;
     - "count":  the value is a word ("one", "two", "three"); besides, "one" is present when
                 "a"/"an" is followed, within the next three words, by a singular shape noun
                 (one of shapes[]: "a large red circle" counts as one);
     - any other attribute: the value is a word (case-insensitive).
   The attribute is CORRECT when the expected value is present and no other value of that
   attribute is. */
#ifndef A2A_EVAL_SCORE_H
#define A2A_EVAL_SCORE_H

#include <stdbool.h>

/* present[i] for each values[i]; returns how many are present. shapes (singular nouns, may be
   NULL / 0) serve the "one" rule of "count". */
int a2a_eval_present(const char *reply, const char *attr, const char *const *values, int n_values,
                     const char *const *shapes, int n_shapes, bool *present);

/* True when expected is present and no other value of values[] is. expected need not be in
   values[] (then only its presence and the absence of all values[] other than it count). */
bool a2a_eval_score(const char *reply, const char *attr, const char *expected, const char *const *values,
                    int n_values, const char *const *shapes, int n_shapes);

#endif
