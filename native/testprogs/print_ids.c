/*
 * print_ids - show the user, group and supplementary groups.
 *
 * Usage:   print_ids
 * Does:    writes one line
 *            "uid=U euid=EU gid=G egid=EG groups=G1,G2,...\n"
 *          (numbers only, groups in getgroups() order, "groups=" followed by
 *          nothing when there are none), then exits 0.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    gid_t groups[1024];
    int n = getgroups(1024, groups);

    if (n < 0) {
        perror("print_ids: getgroups");
        return 1;
    }
    printf("uid=%u euid=%u gid=%u egid=%u groups=",
           (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
    for (int i = 0; i < n; i++)
        printf(i ? ",%u" : "%u", (unsigned)groups[i]);
    printf("\n");
    return 0;
}
