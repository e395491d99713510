/* Status codes and version strings. */
#include <criterion/criterion.h>
#include <lede.h>
#include <string.h>

Test(status, every_code_has_text)
{
    for (int s = LEDE_EIO; s <= LEDE_OK; s++)
        cr_expect(strcmp(lede_strerror(s), "unknown error") != 0, "code %d", s);
    cr_expect_str_eq(lede_strerror(-1000), "unknown error");
}

Test(status, positive_values_are_errno)
{
    cr_expect_str_eq(lede_strerror(2), strerror(2));
}

Test(status, version_names_linked_libraries)
{
    cr_expect_str_eq(lede_version(), LEDE_VERSION);
    cr_expect(strstr(lede_library_versions(), "LMDB") != NULL);
    cr_expect(strstr(lede_library_versions(), "utf8proc") != NULL);
}
