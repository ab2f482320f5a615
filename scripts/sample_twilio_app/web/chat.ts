import { Client, type Message } from "@twilio/conversations";

export async function openChat(token: string, sid: string, onMessage: (text: string) => void) {
  const client = new Client(token);
  client.on("tokenAboutToExpire", async () => client.updateToken(await fetchToken()));
  const conversation = await client.getConversationBySid(sid);
  conversation.on("messageAdded", (message: Message) => onMessage(`${message.author}: ${message.body}`));
  await conversation.sendMessage("joined", { via: "web" });
  return conversation;
}

async function fetchToken(): Promise<string> {
  return (await (await fetch("/token")).json()).token;
}
