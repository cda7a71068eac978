package org.mix4j.pipelines.chat;

import java.util.List;
import org.mix4j.api.RgbImage;

/**
 * One exchange of a conversation: what the user wrote, the images sent with it, and the reply
 * ({@code null} while it is being generated).
 */
public record ChatTurn(String user, List<RgbImage> images, String reply) {

    public ChatTurn {
        images = List.copyOf(images);
    }

    ChatTurn withReply(String text) {
        return new ChatTurn(user, images, text);
    }
}
