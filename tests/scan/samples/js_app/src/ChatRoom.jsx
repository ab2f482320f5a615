import { useEffect, useRef, useState } from "react";
import { Client } from "@twilio/conversations"; // expect: PKG-CONVERSATIONS

export function ChatRoom({ token, sid }) {
  const clientRef = useRef(null);
  const [conversation, setConversation] = useState(null);
  const [messages, setMessages] = useState([]);

  useEffect(() => {
    clientRef.current = new Client(token); // expect: CHAT-C1
    clientRef.current.getConversationBySid(sid).then(setConversation); // expect: CHAT-T3
    return () => clientRef.current.shutdown(); // expect: CHAT-C6
  }, [token, sid]);

  useEffect(() => {
    if (!conversation) return;
    conversation.on("messageAdded", (m) => setMessages((list) => [...list, m.body])); // expect: CHAT-M5, CHAT-M6
  }, [conversation]);

  return <ul>{messages.map((body) => <li key={body}>{body}</li>)}</ul>;
}
