package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class HtmlTest {

    @Test
    void controlCharactersBecomeVisible() {
        assertEquals("\\x1b]0;owned\\x07 \\x1b[2J", Html.visible("\u001b]0;owned\u0007 \u001b[2J"));
        assertEquals("a\tb\\x0d\\x0a\\x00\\x7f", Html.visible("a\tb\r\n\u0000\u007f"));
        assertEquals("\\u0085 \\u009b1m", Html.visible("\u0085 \u009b1m"));
        assertEquals("abc\\u202edcba", Html.visible("abc\u202edcba"));
        assertEquals("", Html.visible(null));
    }

    @Test
    void plainTextIsReturnedAsIs() {
        String s = "tick 3: hello from Corral \u00e9\u4e2d";
        assertSame(s, Html.visible(s));
        assertSame(s, Html.text(s));
    }

    @Test
    void alreadyEscapedLinesPassUnchangedThroughTheSameRoutine() {
        // what issue 12's escaping at the source delivers: the four characters \ x 1 b
        assertEquals("\\x1b[31mred\\x1b[0m", Html.text("\\x1b[31mred\\x1b[0m"));
        assertEquals(Html.text("\\x1b[31mred"), Html.text("\u001b[31mred"));
    }

    @Test
    void htmlAndTheConsolesVariablesAreEscaped() {
        assertEquals("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;",
                Html.text("<script>alert('x')</script> & \"q\""));
        assertEquals("&#36;{brand.name}", Html.text("${brand.name}"));
        assertEquals("&lt;b&gt;\\x1b[1m", Html.text("<b>\u001b[1m"));
    }
}
