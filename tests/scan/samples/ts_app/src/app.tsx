import { openConversation } from "@chat/session";
import type { ChatMessage, Conversation as Conv } from "@chat/twilio";

export async function loadHistory(token: string, sid: string): Promise<string[]> {
  const page = await (await openConversation(token, sid)).getMessages(50); // expect: CHAT-M4
  return page.items.map((m) => `${m.author}: ${m.body}`); // expect: CHAT-M7, CHAT-M6
}

export function markRead(conversation: Conv, last: ChatMessage): void {
  void conversation.advanceLastReadMessageIndex(last.index); // expect: CHAT-R4, CHAT-M8
}

export function Banner() {
  return <p>Moving off Twilio: conversation.sendMessage() becomes chatThreadClient.sendMessage()</p>;
}
