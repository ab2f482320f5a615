import React, { useRef, useState } from "react";
import { ChatClient, type Conversation } from "@chat/twilio";

export function useConversation(token: string, sid: string) {
  const client = useRef<ChatClient>();
  const [conversation, setConversation] = React.useState<Conversation | null>(null);
  const [typing, setTyping] = useState(false);

  async function open() {
    client.current = new ChatClient(token); // expect: CHAT-C1
    setConversation(await client.current.getConversationBySid(sid)); // expect: CHAT-T3
    conversation?.on("typingStarted", () => setTyping(true)); // expect: CHAT-R2
  }

  return { conversation, typing, open, send: (text: string) => conversation?.sendMessage(text) }; // expect: CHAT-M2
}
