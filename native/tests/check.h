/* A tiny test harness: CHECK records a failure and goes on; each TEST is a
 * function registered in main().  Ends with "N passed, N failed". */
#ifndef CORRAL_CHECK_H
#define CORRAL_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks_failed_in_test;
static int tests_passed, tests_failed;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);  \
            checks_failed_in_test++;                                             \
        }                                                                        \
    } while (0)

#define CHECK_EQ(a, b)                                                                        \
    do {                                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                                   \
        if (a_ != b_) {                                                                       \
            printf("    %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                   a_, b_);                                                                   \
            checks_failed_in_test++;                                                          \
        }                                                                                     \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                           \
    do {                                                                                      \
        if (!strstr((hay), (needle))) {                                                       \
            printf("    %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, (hay),  \
                   (needle));                                                                 \
            checks_failed_in_test++;                                                          \
        }                                                                                     \
    } while (0)

#define RUN(test)                                        \
    do {                                                 \
        checks_failed_in_test = 0;                       \
        test();                                          \
        if (checks_failed_in_test) {                     \
            printf("FAIL %s\n", #test);                  \
            tests_failed++;                              \
        } else {                                         \
            printf("ok   %s\n", #test);                  \
            tests_passed++;                              \
        }                                                \
    } while (0)

#define REPORT()                                                      \
    (printf("%d passed, %d failed\n", tests_passed, tests_failed),    \
     tests_failed ? 1 : 0)

#endif
