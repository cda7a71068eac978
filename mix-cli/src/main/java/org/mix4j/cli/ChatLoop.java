package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.chat.ChatSession;
import org.mix4j.pipelines.chat.ChatSession.Reply;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;

/**
 * {@code mix chat}'s conversation: reads lines, runs the slash commands, sends the rest as messages
 * and streams the replies. A failed message is reported on one line and the chat goes on with the
 * conversation as it was.
 */
final class ChatLoop {

    static final String HELP = """
            /help          this list
            /system TEXT   use TEXT as the system prompt from the next message on (/system alone shows it)
            /reset         forget the conversation
            /image PATH    send an image with the next message (understanding pipelines)
            /exit          quit (so does Ctrl-D)
            Ctrl-C stops an answer being written; //TEXT sends "/TEXT" as a message.""";

    private final ChatSession session;
    private final ChatInput input;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean acceptsImages;
    private final StatsPrinter stats;
    private final List<RgbImage> pending = new ArrayList<>();

    /** Prints a turn's timings, or does nothing. */
    interface StatsPrinter {
        void print(Reply reply);
    }

    ChatLoop(ChatSession session, ChatInput input, PrintWriter out, PrintWriter err, boolean acceptsImages,
            StatsPrinter stats) {
        this.session = session;
        this.input = input;
        this.out = out;
        this.err = err;
        this.acceptsImages = acceptsImages;
        this.stats = stats;
    }

    /** Images sent with the first message (the command line's {@code --image}). */
    void attach(List<RgbImage> images) {
        pending.addAll(images);
    }

    void run() {
        while (true) {
            String line = input.readLine("> ");
            if (line == null) {
                return;
            }
            String text = line.strip();
            if (text.isEmpty()) {
                continue;
            }
            if (text.startsWith("/") && !text.startsWith("//")) {
                if (!command(text)) {
                    return;
                }
                continue;
            }
            send(text.startsWith("//") ? text.substring(1) : text);
        }
    }

    /** Runs a slash command; false when it ends the chat. */
    private boolean command(String text) {
        int space = text.indexOf(' ');
        String name = (space < 0 ? text : text.substring(0, space)).toLowerCase(Locale.ROOT);
        String arg = space < 0 ? "" : text.substring(space + 1).strip();
        switch (name) {
            case "/exit", "/quit" -> {
                return false;
            }
            case "/help" -> notice(HELP);
            case "/reset" -> {
                session.reset();
                pending.clear();
                notice("conversation cleared");
            }
            case "/system" -> {
                if (arg.isEmpty()) {
                    notice(session.system() == null ? "no system prompt set here (the pipeline's own applies); "
                            + "/system TEXT sets one" : "system prompt: " + session.system());
                } else {
                    session.system(arg);
                    notice("system prompt set; it applies from the next message");
                }
            }
            case "/image" -> image(arg);
            default -> notice("unknown command " + name + "; /help lists the commands");
        }
        return true;
    }

    private void image(String arg) {
        if (!acceptsImages) {
            notice("error: this is a text pipeline; images need a task: understanding pipeline");
            return;
        }
        if (arg.isEmpty()) {
            notice("error: /image needs a file: /image PATH");
            return;
        }
        Path file = Path.of(arg);
        try {
            RgbImage image = ImageDecoder.readRgb(file);
            pending.add(image);
            notice("image " + file + " (" + image.width() + "x" + image.height() + ") goes with your next message");
        } catch (RuntimeException e) {
            notice("error: " + ErrorMessages.describe(e));
        }
    }

    private void send(String text) {
        AtomicBoolean stop = new AtomicBoolean();
        Reply reply;
        try (AutoCloseable interrupts = input.stopOnInterrupt(stop)) {
            reply = session.send(text, pending, (row, piece) -> {
                out.print(piece);
                out.flush();
            }, stop::get);
        } catch (RuntimeException e) {
            out.println();
            out.flush();
            notice("error: " + ErrorMessages.describe(e)); // this message only; the chat goes on
            return;
        } catch (Exception e) {
            throw new IllegalStateException("restoring the Ctrl-C handler: " + e.getMessage(), e);
        }
        pending.clear();
        out.println();
        out.flush();
        if (reply.result().finishReasons().get(0) == FinishReason.CANCELLED) {
            notice("[stopped]");
        }
        if (reply.droppedTurns() > 0) {
            notice("[the conversation outgrew the context of " + session.context() + " tokens: the oldest "
                    + reply.droppedTurns() + (reply.droppedTurns() == 1 ? " turn was" : " turns were")
                    + " dropped]");
        }
        stats.print(reply);
    }

    private void notice(String text) {
        err.println(text);
        err.flush();
    }
}
